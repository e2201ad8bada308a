// A service traced by OpenTelemetry (http instrumentation) that receives a
// request with W3C baggage and calls a downstream service, propagating it:
//   otel           OTel alone: W3CTraceContext + W3CBaggage propagators
//   otel-again     the same, in a second process: the A/A control, whose
//                  ratio to `otel` shows how far this machine moves two equal services
//   otel+dyeline   the same with DyelinePropagator instead of W3CBaggage,
//                  dyeline ingress (parse + trust + ALS) and the span processor;
//                  it writes the tag's own headers (x-color, x-user) too
//   otel+dyeline-baggage   the same writing baggage only: the wire of `otel`
//   otel+dyeline-2stores   otel+dyeline-baggage with OpenTelemetry's own
//                  context manager: two AsyncLocalStorages instead of one
//                  (the otel+dyeline variants above use DyelineContextManager)
//   dyeline        dyeline ingress alone (no OTel), for the cls-hooked pair
//   dyeline+cls    the same plus the cls-hooked bridge (cost of cls-hooked)
// Each variant runs in its own process; autocannon drives them in
// interleaved rounds; we print medians of req/s and of server CPU µs/request.
//   node --import tsx bench/otel.ts [--rounds 5] [--seconds 2] [--warmup 2] [--connections 16] [--keep-servers]
//        [--only otel+dyeline-baggage,otel-again]   (`otel` always runs: it is the baseline)
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as NodeHttp from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { balancedOrder, median } from './lib/stats.js';
import { arg } from './lib/args.js';

const ALL_VARIANTS = ['otel', 'otel-again', 'otel+dyeline', 'otel+dyeline-baggage', 'otel+dyeline-2stores', 'dyeline', 'dyeline+cls'] as const;
type Variant = (typeof ALL_VARIANTS)[number] | 'downstream';
const only = arg('only', '').split(',').filter((name) => name !== '');
for (const name of only) if (!(ALL_VARIANTS as readonly string[]).includes(name)) throw new TypeError(`--only: no variant ${JSON.stringify(name)}; variants: ${ALL_VARIANTS.join(', ')}`);
const VARIANTS = only.length === 0 ? ALL_VARIANTS : ALL_VARIANTS.filter((v) => v === 'otel' || only.includes(v));
const BAGGAGE = 'color=feature-42,user=alice,k1=v1,k2=v2';

// ---------------------------------------------------------------- services

async function serve(variant: Variant, downstream: string): Promise<void> {
  const usesOtel = variant.startsWith('otel');
  if (usesOtel) {
    const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = await import('@opentelemetry/core');
    const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    const { BatchSpanProcessor, NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
    const { DyelinePropagator, dyelineSpanProcessor } = await import('../packages/otel/dist/index.js');
    // Spans are built, processed and batched as in production, then dropped.
    const exporter = { export: (_spans: unknown, done: (r: { code: number }) => void) => done({ code: 0 }), shutdown: () => Promise.resolve() };
    const batch = new BatchSpanProcessor(exporter);
    const dyeline = variant !== 'otel' && variant !== 'otel-again';
    // Like for like: OpenTelemetry alone writes `baggage` only.
    const propagatorOptions = variant === 'otel+dyeline' ? {} : { write: { headers: false } };
    const provider = new NodeTracerProvider({ spanProcessors: dyeline ? [dyelineSpanProcessor(), batch] : [batch] });
    const { DyelineContextManager } = await import('../packages/otel/dist/context-manager.js');
    const oneStore = dyeline && variant !== 'otel+dyeline-2stores';
    provider.register({
      ...(oneStore ? { contextManager: new DyelineContextManager() } : {}),
      propagator: new CompositePropagator({
        propagators: [new W3CTraceContextPropagator(), dyeline ? new DyelinePropagator(propagatorOptions) : new W3CBaggagePropagator()],
      }),
    });
    registerInstrumentations({ instrumentations: [new HttpInstrumentation()], tracerProvider: provider });
  }
  const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const callDownstream = (res: ServerResponse): void => {
    http
      .get(downstream, { agent }, (down) => {
        let body = '';
        down.setEncoding('utf8');
        down.on('data', (c: string) => (body += c));
        down.on('end', () => res.end(body));
      })
      .on('error', () => {
        res.statusCode = 502;
        res.end();
      });
  };
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  if (variant === 'downstream') {
    handle = (req, res) => res.end(String(req.headers.baggage ?? ''));
  } else if (variant === 'otel' || variant === 'otel-again') {
    handle = (_req, res) => callDownstream(res);
  } else {
    const { createIngress, incomingHeadersGetter, runWithTag } = await import('../packages/core/dist/index.js');
    const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.1/32'] } });
    let wrap = (fn: () => void): void => fn();
    if (variant === 'dyeline+cls') {
      const { createNamespace } = await import('cls-hooked');
      const { clsHookedBridge } = await import('../packages/observe/dist/cls-hooked.js');
      const bridge = clsHookedBridge(createNamespace('bench'));
      wrap = (fn) => bridge.run(fn);
    }
    handle = (req, res) => {
      const { tag } = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
      runWithTag(tag, () => wrap(() => callDownstream(res)));
    };
  }
  const server = http.createServer((req, res) => {
    if (req.url === '/__cpu') {
      const { user, system } = process.cpuUsage();
      res.end(`${user + system} ${user}`);
      return;
    }
    handle(req, res);
  });
  // A clean exit, so that `node --cpu-prof` writes its profile.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
  });
}

// ---------------------------------------------------------------- driver

function start(variant: Variant, downstream = ''): Promise<{ child: ChildProcess; url: string }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self, '--serve', variant, '--downstream', downstream], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // A tsconfig without the repo's `paths`, so that dist/ imports `@dyeline/core` from dist/ too.
    env: { ...process.env, TSX_TSCONFIG_PATH: fileURLToPath(new URL('../packages/core/tsconfig.json', import.meta.url)) },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve({ child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}/` });
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
  });
}

async function text(url: string, headers: Record<string, string> = {}): Promise<string> {
  return (await fetch(url, { headers })).text();
}

/** A service's CPU time so far (µs), total and user, as its `/__cpu` answers `<total> <user>`. */
async function cpuOf(url: string): Promise<{ total: number; user: number }> {
  const answer = await text(`${url}__cpu`);
  const [total, user] = answer.split(' ').map(Number);
  if (total === undefined || user === undefined || !Number.isFinite(total) || !Number.isFinite(user)) {
    throw new Error(`${url}__cpu answered ${JSON.stringify(answer)}, not "<total µs> <user µs>"`);
  }
  return { total, user };
}

/** The services load the built packages, as users do: tsx's transform of the sources keeps function names at a cost per closure. */
function build(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  for (const pkg of ['core', 'otel', 'observe']) {
    const done = spawnSync('pnpm', ['--filter', `@dyeline/${pkg}`, 'run', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    if (done.status !== 0) throw new Error(`building @dyeline/${pkg} failed`);
  }
}

async function main(): Promise<void> {
  build();
  const rounds = Number(arg('rounds', '5'));
  const seconds = Number(arg('seconds', '2'));
  const warmup = Number(arg('warmup', '2'));
  const connections = Number(arg('connections', '16'));
  const { default: autocannon } = await import('autocannon');
  const children: ChildProcess[] = [];
  const services: Record<string, string> = {};
  // Fresh processes every round (unless --keep-servers): two processes running
  // the same code differ by ~6% in CPU per request here (where the JIT's
  // choices and the scheduler put them), a bias that rounds of the same
  // processes cannot average out.
  const keep = process.argv.includes('--keep-servers');
  const startAll = async (order: readonly Variant[]): Promise<void> => {
    const downstream = await start('downstream');
    children.push(downstream.child);
    for (const variant of order) {
      const s = await start(variant, downstream.url);
      children.push(s.child);
      services[variant] = s.url;
      // Each service must really pass the tag on.
      const seen = await text(s.url, { baggage: BAGGAGE });
      if (!seen.includes('color=feature-42') && variant.startsWith('otel')) throw new Error(`${variant} lost the baggage: ${seen}`);
    }
  };
  const stopAll = (): void => {
    for (const child of children.splice(0)) child.kill();
  };
  try {
    const run = async (variant: string, duration: number) => {
      const url = services[variant] as string;
      const before = await cpuOf(url);
      const r = await autocannon({ url, connections, duration, headers: { baggage: BAGGAGE } });
      const after = await cpuOf(url);
      const requests = Math.max(1, r.requests.total);
      return {
        rps: r.requests.average,
        p99: r.latency.p99,
        cpuUs: (after.total - before.total) / requests,
        userUs: (after.user - before.user) / requests,
        errors: r.errors + r.non2xx,
      };
    };
    const samples: Record<string, { rps: number[]; p99: number[]; cpuUs: number[]; userUs: number[]; errors: number }> = {};
    for (const v of VARIANTS) samples[v] = { rps: [], p99: [], cpuUs: [], userUs: [], errors: 0 };
    for (let round = 0; round < rounds; round++) {
      // Every variant in every position alike, in starting, warming up and
      // measuring: the services started and warmed up first ran up to 13 %
      // cheaper per request than the others (10 s warm-ups, 12 rounds), and
      // `otel`, the baseline, used to be started first in every round.
      const order = balancedOrder(VARIANTS, round);
      if (round === 0 || !keep) {
        stopAll();
        await startAll(order);
        for (const variant of order) await run(variant, warmup); // warm-up: the JIT settles
      }
      for (const variant of order) {
        const r = await run(variant, seconds);
        const s = samples[variant] as (typeof samples)[string];
        s.rps.push(r.rps);
        s.p99.push(r.p99);
        s.cpuUs.push(r.cpuUs);
        s.userUs.push(r.userUs);
        s.errors += r.errors;
      }
      process.stderr.write(`round ${round + 1}/${rounds} done\n`);
    }
    const results = Object.fromEntries(
      VARIANTS.map((v) => {
        const s = samples[v] as (typeof samples)[string];
        return [v, { rps: median(s.rps), p99Ms: median(s.p99), cpuUsPerRequest: median(s.cpuUs), userUsPerRequest: median(s.userUs), errors: s.errors, rpsRounds: s.rps, cpuRounds: s.cpuUs, userRounds: s.userUs }];
      }),
    );
    const r = (a: string, b: string, k: 'rps' | 'cpuUsPerRequest') => (results[a]?.[k] ?? NaN) / (results[b]?.[k] ?? NaN);
    // The two run back to back in every round: the median of per-round ratios
    // cancels the drift a noisy 2-core machine puts between rounds.
    // NaN for a variant left out with --only.
    const paired = (a: string, b: string, k: 'rps' | 'cpuUs' | 'userUs') => {
      const own = samples[a];
      const base = samples[b];
      return own === undefined || base === undefined ? NaN : median(own[k].map((x, i) => x / (base[k][i] as number)));
    };
    const summary = {
      'otel-again / otel req/s, paired (A/A: the noise)': paired('otel-again', 'otel', 'rps'),
      'otel-again / otel cpu, paired (A/A: the noise)': paired('otel-again', 'otel', 'cpuUs'),
      'otel-again / otel user cpu, paired (A/A)': paired('otel-again', 'otel', 'userUs'),
      'otel+dyeline / otel req/s': r('otel+dyeline', 'otel', 'rps'),
      'otel+dyeline / otel req/s, paired': paired('otel+dyeline', 'otel', 'rps'),
      'otel+dyeline / otel cpu, paired': paired('otel+dyeline', 'otel', 'cpuUs'),
      'otel+dyeline / otel cpu': r('otel+dyeline', 'otel', 'cpuUsPerRequest'),
      'otel+dyeline / otel user cpu, paired': paired('otel+dyeline', 'otel', 'userUs'),
      'otel+dyeline-baggage / otel req/s, paired': paired('otel+dyeline-baggage', 'otel', 'rps'),
      'otel+dyeline-baggage / otel cpu, paired': paired('otel+dyeline-baggage', 'otel', 'cpuUs'),
      'otel+dyeline-baggage / otel user cpu, paired': paired('otel+dyeline-baggage', 'otel', 'userUs'),
      'otel+dyeline-2stores / otel req/s, paired': paired('otel+dyeline-2stores', 'otel', 'rps'),
      'otel+dyeline-2stores / otel cpu, paired': paired('otel+dyeline-2stores', 'otel', 'cpuUs'),
      'cls-hooked bridge cpu µs/request added': (results['dyeline+cls']?.cpuUsPerRequest ?? NaN) - (results.dyeline?.cpuUsPerRequest ?? NaN),
    };
    console.table(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, { 'req/s': Math.round(v.rps), 'p99 ms': v.p99Ms, 'cpu µs/req': Math.round(v.cpuUsPerRequest * 10) / 10, 'user µs/req': Math.round(v.userUsPerRequest * 10) / 10, errors: v.errors }])));
    console.table(Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, Math.round(v * 1000) / 1000])));
    const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'otel.json'),
      `${JSON.stringify({ node: process.version, date: new Date().toISOString(), rounds, seconds, connections, results, summary }, null, 2)}\n`,
    );
  } finally {
    stopAll();
  }
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex === -1) {
  await main();
} else {
  await serve(process.argv[serveIndex + 1] as Variant, arg('downstream', ''));
}
