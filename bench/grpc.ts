// Unary gRPC calls per second, grpc-js client and server in one process:
//   bare         no tag on the wire, no dyeline loaded
//   by hand      the entries dyeline writes by default on gRPC (x-color, x-user)
//                set on the metadata by hand, x-color read back by hand: the
//                same wire, so dyeline vs by hand is the cost of dyeline's code
//   dyeline      client interceptor + wrapped server implementation, defaults
//                (x-color, x-user; no W3C baggage unless the request carried some)
//   dyeline + baggage       the same with `write: { baggage: true }` (3 entries)
//   dyeline, baggage only   the same with `write: { headers: false }` (1 entry)
// Each sample runs in a fresh process (the order of the variants rotates
// every round), with AsyncLocalStorage on in every one of them, bare
// included, as in any service that already uses it (OpenTelemetry, request
// loggers). Fresh processes because one process's JIT and heap favour some
// variants: in one process, two clients writing the same two entries, one by
// hand before the call and one from a callInvocationTransformer, came out 7 µs
// of CPU per call apart, run after run. --in-process keeps the old mode (all
// variants in one process; quicker, biased). The table shows medians, ratios
// to bare and process CPU per call (client + server). JSON: bench/results/grpc.json.
//   pnpm bench --suite grpc [--rounds 15] [--seconds 1.5] [--concurrency 64] [--in-process]
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { median } from './lib/stats.js';
import { arg } from './lib/args.js';

const rounds = Number(arg('rounds', '15'));
const seconds = Number(arg('seconds', '1.5'));
const concurrency = Number(arg('concurrency', '64'));
const isolated = !process.argv.includes('--in-process');
const VARIANTS = ['bare', 'by hand', 'dyeline', 'dyeline + baggage', 'dyeline, baggage only'] as const;
type VariantName = (typeof VARIANTS)[number];

interface Sample {
  rate: number;
  /** Process CPU (user + system) per call: client and server together. */
  cpuUs: number;
}

type Reply = { message: string; version: string };
type Client = grpc.Client & {
  sayHello(request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null) => void): void;
};
type ClientClass = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => Client;

interface Running {
  measure(ms: number): Promise<Sample>;
  close(): void;
}

async function setup(variant: VariantName): Promise<Running> {
  const proto = fileURLToPath(new URL('../examples/proto/greeter.proto', import.meta.url));
  const pkg = grpc.loadPackageDefinition(loadSync(proto, { defaults: true })) as unknown as {
    dyeline: { greeter: { Greeter: ClientClass & { service: grpc.ServiceDefinition } } };
  };
  const Greeter = pkg.dyeline.greeter.Greeter;
  const server = new grpc.Server();
  // The same trivial handler everywhere; it reads the color as real code would.
  const handler = (color: (call: grpc.ServerUnaryCall<unknown, Reply>) => string | undefined) => ({
    sayHello(call: grpc.ServerUnaryCall<unknown, Reply>, callback: grpc.sendUnaryData<Reply>) {
      callback(null, { message: color(call) ?? 'none', version: 'v1' });
    },
  });
  let options: grpc.ClientOptions = {};
  let call: (client: Client) => Promise<void>;
  const once = (client: Client, metadata: grpc.Metadata): Promise<void> =>
    new Promise((resolve, reject) => client.sayHello({ name: 'b' }, metadata, {}, (error) => (error ? reject(error) : resolve())));
  if (variant === 'bare') {
    server.addService(Greeter.service, handler(() => undefined));
    call = (client) => once(client, new grpc.Metadata());
  } else if (variant === 'by hand') {
    server.addService(Greeter.service, handler((c) => c.metadata.get('x-color')[0] as string | undefined));
    call = (client) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-color', 'feature-42');
      metadata.set('x-user', 'alice');
      return once(client, metadata);
    };
  } else {
    const { createTag, currentTag, runWithTag } = await import('@dyeline/core');
    const { addDyelineService, dyelineClientInterceptor } = await import('@dyeline/grpc');
    const codec =
      variant === 'dyeline' ? {} : variant === 'dyeline + baggage' ? { write: { baggage: true } } : { write: { headers: false } };
    addDyelineService(server, Greeter.service, handler(() => currentTag()?.color), { ...codec, trust: { trustedCidrs: ['127.0.0.0/8'] } });
    options = { interceptors: [dyelineClientInterceptor(codec)] };
    const tag = createTag({ color: 'feature-42', user: 'alice' });
    call = (client) => runWithTag(tag, () => once(client, new grpc.Metadata()));
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  const client = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options);
  const measure = async (ms: number): Promise<Sample> => {
    let done = 0;
    const cpu = process.cpuUsage();
    const start = performance.now();
    const until = start + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) {
          await call(client);
          done++;
        }
      }),
    );
    const used = process.cpuUsage(cpu);
    return { rate: done / ((performance.now() - start) / 1000), cpuUs: (used.user + used.system) / done };
  };
  return {
    measure,
    close() {
      client.close();
      server.forceShutdown();
    },
  };
}

async function child(variant: VariantName): Promise<Sample> {
  // Turns AsyncLocalStorage's hooks on for the whole process (they stay on
  // while a store is enabled) in the variants that do not use it. Exactly one
  // store everywhere: each enabled store adds work to every async resource.
  if (!variant.startsWith('dyeline')) new AsyncLocalStorage<object>().enterWith({});
  const running = await setup(variant);
  await running.measure(1000); // connection, JIT
  const sample = await running.measure(seconds * 1000);
  running.close();
  return sample;
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const results = new Map<VariantName, Sample[]>(VARIANTS.map((v) => [v, []]));
  const inProcess = isolated ? undefined : new Map<VariantName, Running>();
  if (inProcess !== undefined) {
    for (const v of VARIANTS) inProcess.set(v, await setup(v));
    for (const running of inProcess.values()) await running.measure(500); // connections, JIT
  }
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so no variant always runs first or last.
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(round + k) % VARIANTS.length] as VariantName;
      const running = inProcess?.get(variant);
      if (running !== undefined) {
        results.get(variant)?.push(await running.measure(seconds * 1000));
        continue;
      }
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', self, '--child', variant, '--seconds', String(seconds), '--concurrency', String(concurrency)],
        { encoding: 'utf8' },
      );
      results.get(variant)?.push(JSON.parse(out.trim().split('\n').at(-1) as string) as Sample);
    }
  }
  for (const running of inProcess?.values() ?? []) running.close();
  const rate = (v: VariantName): number => median((results.get(v) ?? []).map((s) => s.rate));
  const cpu = (v: VariantName): number => median((results.get(v) ?? []).map((s) => s.cpuUs));
  // Each round runs every variant back to back: the median of per-round ratios
  // cancels the drift of a shared machine better than a ratio of medians.
  const paired = (v: VariantName): number => {
    const bare = results.get('bare') ?? [];
    return median((results.get(v) ?? []).map((s, i) => s.rate / (bare[i]?.rate ?? Number.NaN)));
  };
  const rows = VARIANTS.map((v) => ({
    variant: v,
    callsPerSec: Math.round(rate(v)),
    ratio: Number((rate(v) / rate('bare')).toFixed(3)),
    pairedRatio: Number(paired(v).toFixed(3)),
    vsByHand: Number((rate(v) / rate('by hand')).toFixed(3)),
    cpuUsPerCall: Number(cpu(v).toFixed(1)),
    cpuOverheadUs: Number((cpu(v) - cpu('bare')).toFixed(1)),
    runs: (results.get(v) ?? []).map((s) => Math.round(s.rate)),
  }));
  const mode = isolated ? 'a fresh process per sample' : 'one process';
  const als = 'AsyncLocalStorage on for every variant';
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews calls/s)`);
  console.log(`unary calls/s, ${rounds} interleaved rounds x ${seconds}s, concurrency ${concurrency}, ${mode}, ${als}, Node ${process.version}`);
  console.table(
    rows.map((r) => ({ variant: r.variant, 'calls/s (median)': r.callsPerSec, 'vs bare': r.ratio, 'vs bare, paired': r.pairedRatio, 'vs by hand': r.vsByHand, 'CPU µs/call': r.cpuUsPerCall, 'CPU µs over bare': r.cpuOverheadUs })),
  );
  const require = createRequire(import.meta.url);
  const grpcJs = (JSON.parse(readFileSync(require.resolve('@grpc/grpc-js/package.json'), 'utf8')) as { version: string }).version;
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'grpc.json'),
    `${JSON.stringify({ benchmark: 'grpc-unary', date: new Date().toISOString(), node: process.version, grpcJs, mode: isolated ? 'isolated' : 'in-process', rounds, seconds, concurrency, results: rows, loadAverage: os.loadavg(), target: { dyelineVsBare: 0.95 } }, null, 2)}\n`,
  );
}

const childVariant = process.argv.includes('--child') ? (arg('child', 'bare') as VariantName) : undefined;
if (childVariant !== undefined) console.log(JSON.stringify(await child(childVariant)));
else await main();
