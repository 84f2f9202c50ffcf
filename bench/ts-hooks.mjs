/**
 * Module hooks for ts-register.mjs: `./x.js` imports resolve to `./x.ts` when only the TypeScript file exists
 * (the NodeNext convention of this code base), and `.ts` files are transpiled to JavaScript as they load.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { URL, fileURLToPath } from 'node:url';
import ts from 'typescript';

const RELATIVE = /^(\.{1,2}\/|\/|file:)/;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (context.parentURL && RELATIVE.test(specifier) && specifier.endsWith('.js')) {
      const candidate = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(file, 'utf8'), {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
