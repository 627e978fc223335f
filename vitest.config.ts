// Test runner settings: real jails are built as root, so tests run one file at a time per worker
// and get generous time limits (they are not speed assertions; bench/ measures speed).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['./test/helpers/shipped-accounts.ts'],
    setupFiles: ['./test/helpers/umask.ts', './test/helpers/state-dir.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
