// HTTP benchmark of dyeline against bare frameworks and peers (see README.md).
//   node --import tsx bench/http.ts [--rounds 5] [--duration 5] [--warmup 1]
//        [--connections 16] [--only koa,koa+dyeline] [--from dist|src] [--no-build] [--keep-servers]
// Every scenario's server runs in its own child process; each round drives
// every scenario once, in a fresh random order, with autocannon from this
// process. Medians over the rounds, and medians of per-round ratios.
// By default every round starts fresh processes (the hop's downstream too):
// two processes running the same code differ by ~6% in CPU per request on
// this machine (where the JIT's choices and the scheduler put them), a bias
// that more rounds of the same processes cannot average out. --keep-servers
// starts each server once, for quick runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from './http/child.js';
import type { ServerProcess } from './http/child.js';
import { drive } from './http/load.js';
import { checkTargets, formatReport, summarize } from './http/report.js';
import type { Sample } from './http/report.js';
import { LOAD_HEADERS, SCENARIOS, scenario } from './http/scenarios.js';
import type { ScenarioName } from './http/scenarios.js';
import { shuffled } from './lib/stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function options() {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      connections: { type: 'string', default: '16' },
      only: { type: 'string', multiple: true },
      from: { type: 'string', default: 'dist' },
      'no-build': { type: 'boolean', default: false },
      'keep-servers': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const number = (name: 'rounds' | 'duration' | 'warmup' | 'connections', min: number): number => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < min) throw new TypeError(`--${name} must be a number ≥ ${min}`);
    return value;
  };
  const from = values.from;
  if (from !== 'dist' && from !== 'src') throw new TypeError('--from must be dist or src');
  const only = (values.only ?? []).flatMap((list) => list.split(',')).filter((name) => name !== '');
  return {
    rounds: Math.round(number('rounds', 1)),
    duration: number('duration', 1),
    warmup: number('warmup', 0),
    connections: Math.round(number('connections', 1)),
    scenarios: only.length === 0 ? SCENARIOS.map((s) => s.name) : only.map((name) => scenario(name).name),
    from: from as 'dist' | 'src',
    build: !values['no-build'],
    keepServers: values['keep-servers'],
    list: values.list,
  };
}

/** Builds the packages the servers load, as users get them (tsup), with their dependencies. */
function build(): void {
  const filters = ['core', 'koa', 'express', 'http'].flatMap((pkg) => ['--filter', `@dyeline/${pkg}...`]);
  const done = spawnSync('pnpm', [...filters, 'run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (done.status !== 0) throw new Error('building the packages failed; fix the build or run with --from src');
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(16)} ${s.description}\n`);
    return;
  }
  if (opts.from === 'dist' && opts.build) build();
  const samples = new Map<ScenarioName, Sample[]>(opts.scenarios.map((name) => [name, []]));
  const needsDownstream = opts.scenarios.some((name) => name.startsWith('hop-'));
  const servers = new Map<ScenarioName, ServerProcess>();
  let downstream: ServerProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all([...servers.values(), ...(downstream === undefined ? [] : [downstream])].map((server) => server.stop()));
    servers.clear();
    downstream = undefined;
  };
  const serverFor = async (name: ScenarioName): Promise<ServerProcess> => {
    let server = servers.get(name);
    if (server !== undefined) return server;
    if (needsDownstream && downstream === undefined) downstream = await startServer('downstream', opts.from);
    server = await startServer(name, opts.from, downstream?.url ?? '');
    servers.set(name, server);
    // Each variant must really do its job before its speed means anything.
    const body = await (await fetch(server.url, { headers: LOAD_HEADERS })).text();
    if (!body.includes(scenario(name).expectBody)) {
      throw new Error(`scenario ${name} answered ${JSON.stringify(body)}, expected it to contain ${JSON.stringify(scenario(name).expectBody)}`);
    }
    return server;
  };
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      for (const name of shuffled(opts.scenarios)) {
        const server = await serverFor(name);
        if (opts.warmup > 0) await drive(server.url, opts.warmup, opts.connections, LOAD_HEADERS);
        const before = await server.mark();
        const load = await drive(server.url, opts.duration, opts.connections, LOAD_HEADERS);
        const after = await server.mark();
        const served = after.requests - before.requests;
        (samples.get(name) as Sample[]).push({
          round,
          rps: load.rps,
          p99Ms: load.p99Ms,
          cpuUsPerRequest: served === 0 ? Number.NaN : (after.cpuUs - before.cpuUs) / served,
          userUsPerRequest: served === 0 ? Number.NaN : (after.userUs - before.userUs) / served,
          errors: load.errors,
        });
        process.stderr.write(`round ${round}/${opts.rounds} ${name}: ${load.rps.toFixed(0)} req/s\n`);
        if (!opts.keepServers) {
          await servers.get(name)?.stop();
          servers.delete(name);
        }
      }
      // A fresh downstream each round, shared by that round's hop scenarios.
      if (!opts.keepServers) await stopAll();
    }
  } finally {
    await stopAll();
  }
  const summary = summarize(samples);
  const targets = checkTargets(summary, samples);
  process.stdout.write(`\n${formatReport(summary, targets)}\n`);
  const config = { ...opts, list: undefined };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = new URL('./results/http.json', import.meta.url);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    loadGenerator: 'autocannon (in the parent process)',
    headers: LOAD_HEADERS,
    options: config,
    medians: Object.fromEntries(summary),
    targets,
    samples: Object.fromEntries(samples),
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`\nwrote ${fileURLToPath(file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
