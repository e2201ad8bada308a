import { defineConfig } from 'tsup';

export default defineConfig({
  // Add a subpath export here and in package.json "exports" together.
  // bin.ts is the `dyeline` executable (package.json "bin"), not an export.
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
