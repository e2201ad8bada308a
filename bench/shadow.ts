// Shadow routing cost: resolver ns per call, and pg throughput through shadowPool vs the bare pool.
//   pnpm bench --suite shadow [--rounds 9] [--ops 1000000] [--queries 4000] [--concurrency 16]
// The pg part starts a real PostgreSQL (test/harness/postgres.ts); it is skipped
// (and said so) when the binaries are missing. Rounds are interleaved; medians.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createTag, runWithTag } from '@dyeline/core';
import { shadowPool } from '@dyeline/shadow/pg';
import { createShadowResolver } from '@dyeline/shadow';
import { postgresBinary, startPostgres } from '../test/harness/postgres.js';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const rounds = numberArg('rounds', 9);
const ops = numberArg('ops', 1_000_000);
const queries = numberArg('queries', 4000);
const concurrency = numberArg('concurrency', 16);

const SHADOW = createTag({ shadow: true, user: 'stress' });
const PROD = createTag({ user: 'alice' });

// --- resolver -------------------------------------------------------------
const resolver = createShadowResolver();
const targets = { production: { id: 'p' }, shadow: { id: 's' } };
let sink = 0;
const micro: Record<string, () => number> = {
  'pick (production)': () => runWithTag(PROD, () => loop(() => resolver.pick(targets, 'pg pool').id.length)),
  'pick (shadow)': () => runWithTag(SHADOW, () => loop(() => resolver.pick(targets, 'pg pool').id.length)),
  'name (production)': () => runWithTag(PROD, () => loop(() => resolver.name('orders', 'table').length)),
  'name (shadow)': () => runWithTag(SHADOW, () => loop(() => resolver.name('orders', 'table').length)),
};
function loop(fn: () => number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) sink += fn();
  return Number(process.hrtime.bigint() - start) / ops;
}
const microSamples: Record<string, number[]> = Object.fromEntries(Object.keys(micro).map((k) => [k, []]));
for (const name of Object.keys(micro)) micro[name]!(); // warm-up
for (let r = 0; r < rounds; r++) for (const [name, run] of Object.entries(micro)) microSamples[name]!.push(run());
const resolution = Object.entries(microSamples).map(([scenario, xs]) => ({ scenario, medianNsPerCall: +median(xs).toFixed(1) }));
for (const r of resolution) process.stdout.write(`${r.scenario.padEnd(20)} ${r.medianNsPerCall} ns/call\n`);

// --- pg throughput ----------------------------------------------------------
type Queryable = { query: (text: string) => Promise<unknown> };

async function throughput(target: Queryable, tag: typeof SHADOW): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await runWithTag(tag, () =>
    Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < queries) await target.query('SELECT 1');
      }),
    ),
  );
  return queries / (Number(process.hrtime.bigint() - start) / 1e9);
}

let pgResults: Record<string, unknown> | string;
if (postgresBinary === undefined) {
  pgResults = 'skipped: PostgreSQL binaries not installed';
  process.stdout.write(`pg: ${pgResults}\n`);
} else {
  const server = await startPostgres();
  try {
    const config = { host: server.host, port: server.port, user: server.user, database: 'postgres', max: concurrency };
    const production = new pg.Pool(config);
    const shadow = new pg.Pool(config);
    const wrapped = shadowPool({ production, shadow, resolver });
    const cases: Record<string, () => Promise<number>> = {
      'bare production pool': () => throughput(production, PROD),
      'shadowPool, production tag': () => throughput(wrapped, PROD),
      'bare shadow pool': () => throughput(shadow, SHADOW),
      'shadowPool, shadow tag': () => throughput(wrapped, SHADOW),
    };
    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (const run of Object.values(cases)) await run(); // warm-up: open every connection
    for (let r = 0; r < rounds; r++) {
      // alternate the order so neither side always runs on a warmer server
      const order = r % 2 === 0 ? Object.keys(cases) : Object.keys(cases).reverse();
      for (const name of order) samples[name]!.push(await cases[name]!());
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.round(median(xs))]));
    pgResults = {
      query: 'SELECT 1',
      concurrency,
      queriesPerRound: queries,
      medianQueriesPerSecond: m,
      ratioProduction: +(m['shadowPool, production tag']! / m['bare production pool']!).toFixed(3),
      ratioShadow: +(m['shadowPool, shadow tag']! / m['bare shadow pool']!).toFixed(3),
    };
    for (const [k, v] of Object.entries(m)) process.stdout.write(`${k.padEnd(28)} ${v} q/s\n`);
    process.stdout.write(`ratio wrapper/bare: production ${pgResults.ratioProduction}, shadow ${pgResults.ratioShadow} (target >= 0.97)\n`);
    await wrapped.end();
  } finally {
    await server.stop();
  }
}

const out = join(import.meta.dirname, 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'shadow.json'),
  `${JSON.stringify({ node: process.version, rounds, ops, resolution, pg: pgResults, at: new Date().toISOString(), sink: sink > 0 }, null, 2)}\n`,
);
