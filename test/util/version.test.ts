import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/util/version.js';

describe('VERSION', () => {
  it("is package.json's version", () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
    expect(VERSION).toBe(pkg.version);
  });
});
