import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources; the build is checked separately
    // by the smoke test that loads dist/ through both require and import.
    alias: [
      { find: /^@dyeline\/([a-z0-9-]+)$/, replacement: `${packages}$1/src/index.ts` },
      { find: /^@dyeline\/([a-z0-9-]+)\/([a-z0-9-]+)$/, replacement: `${packages}$1/src/$2.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: keep server-heavy files from starving each other.
    maxWorkers: 2,
  },
});
