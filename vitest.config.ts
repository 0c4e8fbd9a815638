import { defineConfig } from 'vitest/config';

// One runner for every test: unit, ISA differential, machine (QEMU and the
// emulator running the same command table), storage and browser tests.
export default defineConfig({
  test: {
    include: ['**/tests/**/*.test.ts', 'e2e/**/*.test.ts', 'web/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Machine tests boot QEMU/the emulator; keep parallelism to the 2 cores.
    maxWorkers: 2,
  },
});
