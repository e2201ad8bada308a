// Micro-benchmark of the ingress read path of @dyeline/core (extract + trust +
// validation), without any server. Interleaved rounds, median ns per read.
// "A new user each time" cycles through 4,096 distinct inputs, as traffic with
// per-user baggage does; "every other request a new user" mixes one repeated
// tag with distinct ones. They are what keeps ingress's memory of recent reads
// (core's RecentReads) honest: a repeated input is read once, but a cache that
// kept every input made each distinct one cost ~1 µs more (the kept results
// outlive the young generation and move the GC's work to mark-sweep), so
// inputs are kept on their second sighting and the cache steps aside when it
// does not hit.
//   pnpm bench --suite core-extract [--rounds 15] [--ops 200000]
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createIngress, incomingHeadersGetter } from '@dyeline/core';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const rounds = numberArg('rounds', 15);
const ops = numberArg('ops', 200_000);

// A request's usual headers, so lookups cost what they cost in a real server.
const common: IncomingHttpHeaders = {
  host: '127.0.0.1:3000',
  'user-agent': 'autocannon',
  accept: '*/*',
  'accept-encoding': 'gzip',
  connection: 'keep-alive',
};
const TEN_MEMBERS = 'color=feature-42,user=alice,k1=v1,k2=v2;p,k3=v%203,k4=v4,k5=v5,k6=v6,k7=v7,k8=v8';
const scenarios: Record<string, IncomingHttpHeaders | IncomingHttpHeaders[]> = {
  'empty': { ...common },
  'x-color + x-user': { ...common, 'x-color': 'feature-42', 'x-user': 'alice' },
  'the HTTP benchmark load (x-color, x-user, baggage)': { ...common, 'x-color': 'feature-42', 'x-user': 'alice', baggage: 'color=feature-42,user=alice' },
  'x-color + x-user, a new user each time': Array.from({ length: 4096 }, (_, i) => ({ ...common, 'x-color': 'feature-42', 'x-user': `u${i}` })),
  'the HTTP benchmark load, every other request a new user': Array.from({ length: 4096 }, (_, i) => ({
    ...common,
    'x-color': 'feature-42',
    'x-user': i % 2 === 0 ? 'alice' : `u${i}`,
    baggage: `color=feature-42,user=${i % 2 === 0 ? 'alice' : `u${i}`}`,
  })),
  'baggage, 10 members': { ...common, baggage: TEN_MEMBERS },
  'baggage, 10 members, a new user each time': Array.from({ length: 4096 }, (_, i) => ({
    ...common,
    baggage: TEN_MEMBERS.replace('user=alice', `user=u${i}`),
  })),
  // Hostile: 8 KB of invalid members plus an oversized header; must stay cheap.
  'hostile 8 KB': { ...common, baggage: 'novalue,'.repeat(1000), 'x-color': 'x'.repeat(9000) },
};

// Trusted loopback: the whole path (extract, trust, restrict skipped) runs.
const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.0/8', '::1/128'] }, onError: () => {} });

let sink = 0;
function round(input: IncomingHttpHeaders | IncomingHttpHeaders[]): number {
  // A server gets a new headers object per request; codecs remember the last
  // carrier they read (a propagator and ingress read the same one), so
  // consecutive reads here use distinct objects too.
  const list = Array.isArray(input) ? input : Array.from({ length: 64 }, () => ({ ...input }));
  const first = list[0]!;
  // The hostile case is ~500× slower; fewer ops keep every round about as long.
  const n = first.baggage !== undefined && first.baggage.length > 1000 ? Math.ceil(ops / 50) : ops;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const result = ingress.read(list[i % list.length]!, incomingHeadersGetter, '127.0.0.1');
    if (result.tag.color !== undefined) sink++;
  }
  return Number(process.hrtime.bigint() - start) / n;
}

const names = Object.keys(scenarios);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) round(scenarios[name]!); // warm-up
for (let r = 0; r < rounds; r++) for (const name of names) samples[name]!.push(round(scenarios[name]!));

const base = median(samples.empty!);
const results = names.map((name) => ({ scenario: name, medianNsPerOp: Math.round(median(samples[name]!)), ratioToEmpty: +(median(samples[name]!) / base).toFixed(2) }));
console.log(`ingress.read, ${rounds} interleaved rounds × ${ops} ops, Node ${process.version}`);
console.table(results);
if (sink < 0) console.log(sink);

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'core-extract.json'), `${JSON.stringify({ node: process.version, rounds, ops, results, at: new Date().toISOString() }, null, 2)}\n`);
