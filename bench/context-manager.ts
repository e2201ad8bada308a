// OpenTelemetry's context and the dyeline tag in one AsyncLocalStorage
// (DyelineContextManager) against two (OpenTelemetry's own
// AsyncLocalStorageContextManager next to dyeline's storage), without a
// server, so that the difference is not lost in a server's noise. One
// iteration is what a traced request does with its contexts: the server
// span's context.with, dyeline's scope, 20 awaits and a setImmediate (the
// async resources every AsyncLocalStorage copies its store into on Node 20),
// a client span's context.with, the tag and the context read.
//   otel alone   OpenTelemetry's context manager, no dyeline scope
//   two stores   + dyeline's scope, OpenTelemetry's context manager
//   one store    + dyeline's scope, DyelineContextManager
// Each sample runs in a fresh process (a context manager is process-wide),
// the order of the variants shuffled every round; medians of ns/iteration.
//   pnpm bench --suite context-manager [--rounds 9] [--iterations 20000]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_CONTEXT, context, createContextKey } from '@opentelemetry/api';
import type { ContextManager } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { createTag, currentTag, runWithTag } from '@dyeline/core';
import { DyelineContextManager } from '@dyeline/otel/context-manager';
import { arg, numberArg } from './lib/args.js';
import { median, shuffled } from './lib/stats.js';

const VARIANTS = ['otel alone', 'two stores', 'one store'] as const;
type Variant = (typeof VARIANTS)[number];

const SPAN = createContextKey('bench.span');
const tag = createTag({ color: 'feature-42', user: 'alice' });
let sink = 0;

async function handler(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve(i);
  await new Promise((resolve) => setImmediate(resolve));
  context.with(context.active().setValue(SPAN, 'client'), () => {
    if (currentTag() === tag && context.active().getValue(SPAN) === 'client') sink++;
  });
}

async function sample(variant: Variant, iterations: number): Promise<number> {
  const manager: ContextManager = variant === 'one store' ? new DyelineContextManager() : new AsyncLocalStorageContextManager();
  context.setGlobalContextManager(manager.enable());
  const request = variant === 'otel alone' ? handler : () => runWithTag(tag, handler);
  const once = () => context.with(ROOT_CONTEXT.setValue(SPAN, 'server'), request);
  for (let i = 0; i < iterations / 4; i++) await once(); // warm-up: the JIT settles
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await once();
  return Number(process.hrtime.bigint() - start) / iterations;
}

async function main(): Promise<void> {
  const rounds = numberArg('rounds', 9);
  const iterations = numberArg('iterations', 20_000);
  const self = fileURLToPath(import.meta.url);
  const samples: Record<Variant, number[]> = { 'otel alone': [], 'two stores': [], 'one store': [] };
  for (let round = 0; round < rounds; round++) {
    for (const variant of shuffled(VARIANTS)) {
      const out = execFileSync(process.execPath, [...process.execArgv, self, '--sample', variant, '--iterations', String(iterations)], {
        encoding: 'utf8',
      });
      samples[variant].push(Number(out));
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  const base = median(samples['otel alone']);
  const results = VARIANTS.map((variant) => ({
    variant,
    nsPerIteration: Math.round(median(samples[variant])),
    addedNs: Math.round(median(samples[variant]) - base),
    runs: samples[variant].map(Math.round),
  }));
  console.table(Object.fromEntries(results.map((r) => [r.variant, { 'ns/iteration': r.nsPerIteration, 'added ns': r.addedNs }])));
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'context-manager.json'),
    `${JSON.stringify({ benchmark: 'context-manager', node: process.version, date: new Date().toISOString(), rounds, iterations, results }, null, 2)}\n`,
  );
}

const variant = arg('sample', '');
if (variant === '') {
  await main();
} else {
  process.stdout.write(String(await sample(variant as Variant, numberArg('iterations', 20_000))));
  if (sink < 0) process.stdout.write('unreachable');
}
