// ioredis GET/SET throughput through shadowRedis (prefix strategy) vs the bare client, real redis-server.
//   pnpm bench --suite shadow-redis [--rounds 15] [--ops 40000] [--inflight 50]
// Interleaved rounds (bare, production tag, shadow tag), median ops/s, ratios. Target: wrapper ≥ 0.97 of bare.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createTag, runWithTag } from '@dyeline/core';
import { shadowRedis } from '@dyeline/shadow/ioredis';
import { startRedis } from '../test/harness/redis.js';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const rounds = numberArg('rounds', 15);
const ops = numberArg('ops', 40_000);
const inflight = numberArg('inflight', 50);

const server = await startRedis();
const bareClient = new Redis(server.url);
const wrapped = shadowRedis({ production: new Redis(server.url) });

async function round(client: Redis): Promise<number> {
  const start = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < ops) {
      const i = next++;
      if (i % 2 === 0) await client.set(`bench:${i % 1000}`, 'value');
      else await client.get(`bench:${i % 1000}`);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  return ops / (Number(process.hrtime.bigint() - start) / 1e9);
}

const scenarios: Record<string, () => Promise<number>> = {
  'bare': () => round(bareClient),
  'wrapped, production tag': () => runWithTag(createTag({ color: 'blue' }), () => round(wrapped)),
  'wrapped, shadow tag': () => runWithTag(createTag({ shadow: true }), () => round(wrapped)),
};
const names = Object.keys(scenarios);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
try {
  for (const name of names) await scenarios[name]!(); // warm-up
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no scenario always runs first.
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length]!;
      samples[name]!.push(await scenarios[name]!());
    }
  }
} finally {
  await bareClient.quit();
  await wrapped.quit();
  await server.stop();
}

const base = median(samples.bare!);
// The machine is shared: load drifts between rounds. The ratio of each round
// to the bare run of the same round cancels the drift; its median is reported.
const results = names.map((name) => ({
  scenario: name,
  medianOpsPerSec: Math.round(median(samples[name]!)),
  ratioOfMedians: +(median(samples[name]!) / base).toFixed(3),
  medianRoundRatio: +median(samples[name]!.map((v, i) => v / samples.bare![i]!)).toFixed(3),
}));
for (const r of results) {
  process.stdout.write(
    `${r.scenario.padEnd(26)} ${String(r.medianOpsPerSec).padStart(8)} ops/s   ratio of medians ${r.ratioOfMedians.toFixed(3)}   median round ratio ${r.medianRoundRatio.toFixed(3)}\n`,
  );
}
const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, 'shadow-redis.json'),
  `${JSON.stringify({ bench: 'shadow-redis', node: process.version, rounds, ops, inflight, target: 'wrapper >= 0.97 of bare', results }, null, 2)}\n`,
);
