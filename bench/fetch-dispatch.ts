// Client CPU per global `fetch` under a tag, by how the tag gets onto the call:
//   by hand          the headers dyeline writes (x-color, x-user, baggage) passed to fetch by hand
//   compose          the global dispatcher replaced by `agent.compose(dyelineInterceptor())`
//   installFetchPropagation  dyeline's global install (the interceptor in front of the
//                    dispatcher's own dispatch, handlers untouched)
// Every variant runs its calls inside `runWithTag` (AsyncLocalStorage on in all
// of them), so the difference is the dispatch path alone. On undici 7 (Node 22
// and later) `compose` converts each request's handler to the v7 callback API
// and back; on undici 6 (Node 20) it does not. The downstream answers from
// this (parent) process; each sample is a fresh client process whose own CPU
// is measured. Variants rotate every round. JSON: bench/results/fetch-dispatch.json.
//   pnpm bench --suite fetch-dispatch [--rounds 7] [--seconds 2] [--concurrency 16]
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTag, currentTag, runWithTag } from '@dyeline/core';
import { installFetchPropagation } from '@dyeline/http';
import { dyelineInterceptor } from '@dyeline/http/undici';
import { median } from './lib/stats.js';
import { arg } from './lib/args.js';

const rounds = Number(arg('rounds', '7'));
const seconds = Number(arg('seconds', '2'));
const concurrency = Number(arg('concurrency', '16'));
const VARIANTS = ['by hand', 'compose', 'installFetchPropagation'] as const;
type VariantName = (typeof VARIANTS)[number];

interface Sample {
  callsPerSec: number;
  /** This client process's CPU (user + system) per call. */
  cpuUs: number;
}

const run = promisify(execFile);
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
interface Composable {
  compose(interceptor: unknown): unknown;
}

/** Sets the variant up; returns the fetch options of one call. */
function prepare(variant: VariantName): () => RequestInit | undefined {
  if (variant === 'by hand') {
    return () => {
      const tag = currentTag();
      return { headers: { 'x-color': tag?.color ?? '', 'x-user': tag?.user ?? '', baggage: `color=${tag?.color ?? ''},user=${tag?.user ?? ''}` } };
    };
  }
  if (variant === 'compose') {
    void globalThis.Headers; // creates Node's global Agent
    const slot = globalThis as unknown as Record<symbol, Composable>;
    slot[GLOBAL_DISPATCHER] = slot[GLOBAL_DISPATCHER]?.compose(dyelineInterceptor()) as Composable;
  } else {
    installFetchPropagation();
  }
  return () => undefined;
}

async function child(variant: VariantName, url: string): Promise<Sample> {
  const init = prepare(variant);
  const tag = createTag({ color: 'feature-42', user: 'alice' });
  const call = async (): Promise<void> => {
    const response = await fetch(url, init());
    const body = await response.text();
    if (body !== 'feature-42') throw new Error(`${variant}: the downstream saw ${JSON.stringify(body)}`);
  };
  const measure = async (ms: number): Promise<Sample> => {
    let calls = 0;
    const until = performance.now() + ms;
    const start = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: concurrency }, () =>
        runWithTag(tag, async () => {
          while (performance.now() < until) {
            await call();
            calls++;
          }
        }),
      ),
    );
    const used = process.cpuUsage(cpu);
    return { callsPerSec: (calls * 1000) / (performance.now() - start), cpuUs: (used.user + used.system) / calls };
  };
  await measure(1000); // connections, JIT
  return measure(seconds * 1000);
}

async function main(): Promise<void> {
  const server = createServer((req, res) => res.end(String(req.headers['x-color'] ?? '')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const self = fileURLToPath(import.meta.url);
  const results = new Map<VariantName, Sample[]>(VARIANTS.map((v) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(round + k) % VARIANTS.length] as VariantName;
      // Async, not execFileSync: this process answers the child's calls.
      const args = ['--import', 'tsx', self, '--child', variant, '--url', url, '--seconds', String(seconds), '--concurrency', String(concurrency)];
      const { stdout: out } = await run(process.execPath, args, { encoding: 'utf8' });
      results.get(variant)?.push(JSON.parse(out.trim().split('\n').at(-1) as string) as Sample);
    }
  }
  server.close();
  const cpu = (v: VariantName): number => median((results.get(v) ?? []).map((s) => s.cpuUs));
  const rate = (v: VariantName): number => median((results.get(v) ?? []).map((s) => s.callsPerSec));
  const rows = VARIANTS.map((v) => ({
    variant: v,
    callsPerSec: Math.round(rate(v)),
    cpuUsPerCall: Number(cpu(v).toFixed(1)),
    cpuOverByHandUs: Number((cpu(v) - cpu('by hand')).toFixed(1)),
    cpuRuns: (results.get(v) ?? []).map((s) => Number(s.cpuUs.toFixed(1))),
  }));
  console.log(`fetch under a tag, ${rounds} rounds x ${seconds}s, concurrency ${concurrency}, a fresh client process per sample, Node ${process.version} (undici ${process.versions.undici ?? '?'})`);
  console.table(rows.map((r) => ({ variant: r.variant, 'calls/s (median)': r.callsPerSec, 'client CPU µs/call': r.cpuUsPerCall, 'µs over by hand': r.cpuOverByHandUs })));
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'fetch-dispatch.json'),
    `${JSON.stringify({ benchmark: 'fetch-dispatch', date: new Date().toISOString(), node: process.version, undici: process.versions.undici, rounds, seconds, concurrency, results: rows, loadAverage: os.loadavg() }, null, 2)}\n`,
  );
}

if (process.argv.includes('--child')) {
  console.log(JSON.stringify(await child(arg('child', 'by hand') as VariantName, arg('url', ''))));
} else {
  await main();
}
