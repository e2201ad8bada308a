// `pnpm bench` — one entry point for every benchmark in bench/.
//   pnpm bench [--suite http] [suite flags...]   run one suite (default: http)
//   pnpm bench --suite grpc --rounds 3           flags after the suite go to it
//   pnpm bench --suite all                       every suite, one after another
//   pnpm bench --list                            the suites and their first comment line
// A suite is any top-level bench/*.ts other than this file; each runs in its
// own process (`node --import tsx bench/<suite>.ts ...`), so no benchmark is orphaned.
// The packages are built first and every suite imports them through their
// package exports (dist/), as users run them: tsx's transform of the sources
// adds a naming call per closure, which showed up as ~2 % on the gRPC path.
// `--no-build` skips the build; running a suite file directly measures src/.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
// No `paths`: @dyeline/* resolves through node_modules to the built packages.
const DIST_TSCONFIG = `${here}tsconfig.dist.json`;

/** Suites found in bench/: file name without `.ts`. */
function suites(): string[] {
  return readdirSync(here)
    .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.endsWith('.test.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -3))
    .sort();
}

function describe(suite: string): string {
  const text = readFileSync(`${here}${suite}.ts`, 'utf8');
  const first = text.split('\n').find((line) => /^\s*(\/\/|\*|\/\*\*)\s*\S/.test(line)) ?? '';
  return first.replace(/^\s*(\/\/|\/\*\*|\*)\s*/, '').slice(0, 100);
}

function main(): number {
  // `pnpm bench -- --flag` hands the `--` on: drop it so suites see their flags.
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  if (args.includes('--list')) {
    for (const suite of suites()) process.stdout.write(`${suite.padEnd(14)} ${describe(suite)}\n`);
    return 0;
  }
  let chosen = 'http';
  const at = args.indexOf('--suite');
  if (at !== -1) {
    chosen = args[at + 1] ?? '';
    args.splice(at, 2);
  }
  const known = suites();
  const run = chosen === 'all' ? known : [chosen];
  for (const suite of run) {
    if (!known.includes(suite)) {
      process.stderr.write(`unknown suite "${suite}"; known: ${known.join(', ')}, all\n`);
      return 2;
    }
  }
  if (!args.includes('--no-build')) {
    const built = spawnSync('pnpm', ['-r', '--filter', './packages/**', 'run', 'build'], { cwd: `${here}..`, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) {
      process.stderr.write('building the packages failed\n');
      return 1;
    }
  }
  const env = { ...process.env, TSX_TSCONFIG_PATH: DIST_TSCONFIG };
  let status = 0;
  for (const suite of run) {
    if (run.length > 1) process.stdout.write(`\n=== bench/${suite}.ts ===\n`);
    const done = spawnSync(process.execPath, ['--import', 'tsx', `${here}${suite}.ts`, ...args], { stdio: 'inherit', env });
    if (done.status !== 0) {
      process.stderr.write(`bench/${suite}.ts exited with ${done.status ?? done.signal}\n`);
      status = 1;
    }
  }
  return status;
}

process.exitCode = main();
