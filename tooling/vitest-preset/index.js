// Shared vitest settings. Fast unit tests live beside the code (src/**/*.test.ts); slow
// end-to-end tests live under test/ and are named *.e2e.test.ts so they can be run apart
// (SHRINKRAY_FAST=1 skips them).
import { defineConfig } from 'vitest/config';

const fastOnly = process.env.SHRINKRAY_FAST === '1';

/** @param {import('vitest/config').UserConfig['test']} [overrides] */
export function shrinkrayVitestConfig(overrides = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      exclude: fastOnly ? ['**/*.e2e.test.ts', '**/node_modules/**'] : ['**/node_modules/**'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
      fileParallelism: false,
      ...overrides,
    },
  });
}
