#!/usr/bin/env node
/** The `vosync` command: one binary for the server, the vostools-style commands and the daemon. */
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv.slice(2), { from: 'user' })
  .catch((err: unknown) => {
    process.stderr.write(`vosync: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = process.exitCode || 1;
  });
