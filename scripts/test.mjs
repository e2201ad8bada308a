// The whole test suite: install the server binaries the harness needs, build
// every package (the smoke and dual-copy tests load dist/ through require and
// import), typecheck and lint everything, then run vitest. Extra arguments go
// to vitest.
import { spawnSync } from 'node:child_process';

// Under `npx pnpm@10 test` pnpm need not be on PATH; npm_execpath names it.
const pnpm = process.env.npm_execpath && /\.c?js$/.test(process.env.npm_execpath)
  ? [process.execPath, process.env.npm_execpath]
  : ['pnpm'];

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, ['scripts/ensure-services.mjs']);
run(pnpm[0], [...pnpm.slice(1), '-r', '--filter', './packages/**', 'run', 'build']);
run(pnpm[0], [...pnpm.slice(1), 'exec', 'tsc', '-p', 'tsconfig.json', '--noEmit']);
run(pnpm[0], [...pnpm.slice(1), 'exec', 'eslint', '.']);
run(pnpm[0], [...pnpm.slice(1), 'exec', 'vitest', 'run', ...process.argv.slice(2)]);
