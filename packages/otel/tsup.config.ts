import { defineConfig } from 'tsup';

export default defineConfig({
  // Add a subpath export here and in package.json "exports" together.
  entry: ['src/index.ts', 'src/context-manager.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
