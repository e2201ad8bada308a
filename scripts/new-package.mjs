// Scaffolds packages/<name> with the house layout: dual ESM/CJS build via
// tsup, types first in the exports map, workspace deps on @dyeline/*.
// Usage: node scripts/new-package.mjs <name> "<description>" [dep ...] [--peer name@range[?]]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';

const [name, description, ...rest] = process.argv.slice(2);
if (!name || !description) throw new Error('usage: new-package <name> <description> [deps] [--peer pkg@range[?]]');
const deps = {};
const peers = {};
const peerMeta = {};
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--peer') {
    const spec = rest[++i];
    const optional = spec.endsWith('?');
    const clean = optional ? spec.slice(0, -1) : spec;
    const at = clean.lastIndexOf('@');
    const pkg = clean.slice(0, at);
    peers[pkg] = clean.slice(at + 1);
    if (optional) peerMeta[pkg] = { optional: true };
  } else if (rest[i].startsWith('@dyeline/')) deps[rest[i]] = 'workspace:^';
  else {
    const at = rest[i].lastIndexOf('@');
    deps[rest[i].slice(0, at)] = rest[i].slice(at + 1);
  }
}
const dir = `packages/${name}`;
if (existsSync(`${dir}/package.json`)) throw new Error(`${dir} exists`);
mkdirSync(`${dir}/src`, { recursive: true });
const pkg = {
  name: `@dyeline/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  files: ['dist'],
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  scripts: { build: 'tsup' },
  engines: { node: '>=20.19' },
  ...(Object.keys(deps).length ? { dependencies: deps } : {}),
  ...(Object.keys(peers).length ? { peerDependencies: peers } : {}),
  ...(Object.keys(peerMeta).length ? { peerDependenciesMeta: peerMeta } : {}),
};
writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  `${dir}/tsup.config.ts`,
  `import { defineConfig } from 'tsup';

export default defineConfig({
  // Add a subpath export here and in package.json "exports" together.
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
`,
);
writeFileSync(
  `${dir}/tsconfig.json`,
  JSON.stringify(
    {
      extends: '../../tsconfig.base.json',
      compilerOptions: { rootDir: 'src', outDir: 'dist' },
      include: ['src'],
      exclude: ['src/**/*.test.ts'],
    },
    null,
    2,
  ) + '\n',
);
if (!existsSync(`${dir}/src/index.ts`)) writeFileSync(`${dir}/src/index.ts`, `export {};\n`);
console.log(`created ${dir}`);
