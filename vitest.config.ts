import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files spend their time waiting on servers, daemons and timers, not computing: on a 2-core machine
    // vitest's default (cores − 1 = one file at a time) leaves the machine idle half the time.
    maxWorkers: 3,
  },
});
