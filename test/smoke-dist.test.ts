// Loads every built package — each entry of its "exports" map — through both
// `require` and `import` in a plain Node process, as a user's app would, and
// checks that the two module formats export the same names. Runs against
// dist/, so `pnpm test` builds first (scripts/test.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');

interface PackageJson {
  name: string;
  exports: Record<string, unknown>;
}

const packages = readdirSync(packagesDir)
  .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as PackageJson }));

// A consumer's node_modules with the workspace packages linked in, outside
// the repo's own resolution (vitest aliases do not apply in a child process).
const consumer = mkdtempSync(join(tmpdir(), 'dyeline-smoke-'));
mkdirSync(join(consumer, 'node_modules', '@dyeline'), { recursive: true });
for (const { dir } of packages) symlinkSync(join(packagesDir, dir), join(consumer, 'node_modules', '@dyeline', dir), 'dir');
afterAll(() => rmSync(consumer, { recursive: true, force: true }));

const probe = `
const specifier = process.argv[2];
const cjs = Object.keys(require(specifier)).filter((k) => k !== 'default' && k !== '__esModule').sort();
import(specifier).then((esm) => {
  const names = Object.keys(esm).filter((k) => k !== 'default' && k !== 'module.exports').sort();
  process.stdout.write(JSON.stringify({ cjs, esm: names }));
});
`;
writeFileSync(join(consumer, 'probe.cjs'), probe);

describe('built packages load through require and import', () => {
  for (const { json } of packages) {
    const subpaths = Object.keys(json.exports).filter((key) => key !== './package.json');
    for (const subpath of subpaths) {
      const specifier = subpath === '.' ? json.name : `${json.name}/${subpath.slice(2)}`;
      it(specifier, () => {
        const out = execFileSync(process.execPath, [join(consumer, 'probe.cjs'), specifier], { cwd: consumer, encoding: 'utf8' });
        const { cjs, esm } = JSON.parse(out) as { cjs: string[]; esm: string[] };
        expect(esm).toEqual(cjs);
        // An entry with nothing to export is a packaging mistake, not a package.
        expect(cjs.length).toBeGreaterThan(0);
      });
    }
  }
});
