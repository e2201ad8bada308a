import { defineConfig } from 'tsup';

export default defineConfig({
  // Add a subpath export here and in package.json "exports" together.
  entry: ['src/index.ts', 'src/undici.ts', 'src/axios.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
