/**
 * Lets Node 20 run the TypeScript sources directly: `node --import ./bench/ts-register.mjs bench/soak.ts`.
 * The hooks (ts-hooks.mjs) strip types with the project's own TypeScript compiler, file by file, no type check.
 */
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
