import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/e2e/unit/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          // The renderer in Debian's Chromium (playwright-core) behind the same FerryApi the preload exposes.
          include: ['test/e2e/**/*.e2e.test.ts'],
          globalSetup: ['test/e2e/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Each file runs its own Chromium; two cores fit two at a time.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'interop',
          include: ['test/interop/**/*.test.ts'],
          // Lab servers share the host's two cores and fixed namespace names: one file at a time.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 900_000,
          globalSetup: ['test/interop/globalSetup.ts'],
        },
      },
    ],
  },
});
