import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 60_000,
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
