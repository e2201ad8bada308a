/**
 * Resilience benchmark: breaker + timeout + deadline around an async no-op vs plain await, opossum and cockatiel.
 * Run: `pnpm bench --suite resilience [--rounds 15] [--calls 20000]`.
 * All cases run interleaved in one process, inside an AsyncLocalStorage request context with a deadline,
 * and report medians; a keyed registry of 10,000 breakers reports memory per breaker and µs per call.
 * Writes bench/results/resilience.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import CircuitBreaker from 'opossum';
import { ConsecutiveBreaker, TimeoutStrategy, circuitBreaker, handleAll, timeout as cockatielTimeout, wrap } from 'cockatiel';
import { Deadline, createTag, runWithDeadline, runWithTag } from '@dyeline/core';
import { createBreakerRegistry, createPolicy } from '@dyeline/resilience';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const ROUNDS = numberArg('rounds', 15);
const CALLS = numberArg('calls', 20_000);
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const noop = async (): Promise<number> => 1;

const dyeline = createPolicy({ timeout: 1000, breaker: { consecutiveFailures: 5 } });
const opossum = new CircuitBreaker(noop, { timeout: 1000, errorThresholdPercentage: 50, resetTimeout: 30_000 });
const cockatiel = wrap(circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }), cockatielTimeout(1000, TimeoutStrategy.Cooperative));

const KEYS = 10_000;
const keys = Array.from({ length: KEYS }, (_, i) => `upstream-${i % 500}|subset-${Math.floor(i / 500)}`);
let registry = createBreakerRegistry({ options: { consecutiveFailures: 5 }, maxKeys: KEYS });
const keyedPolicies = new Map<string, ReturnType<typeof createPolicy>>();

type Case = (n: number) => Promise<void>;
const cases: Record<string, Case> = {
  'plain await': async (n) => {
    for (let i = 0; i < n; i++) await noop();
  },
  'dyeline breaker+timeout+deadline': async (n) => {
    for (let i = 0; i < n; i++) await dyeline.execute(noop);
  },
  'dyeline, new deadline per call': async (n) => {
    for (let i = 0; i < n; i++) await runWithDeadline(Deadline.after(1000), () => dyeline.execute(noop));
  },
  'dyeline, fn takes the signal': async (n) => {
    for (let i = 0; i < n; i++) await dyeline.execute(async (signal: AbortSignal) => signal.aborted);
  },
  'opossum fire (timeout)': async (n) => {
    for (let i = 0; i < n; i++) await opossum.fire();
  },
  'cockatiel breaker+timeout': async (n) => {
    for (let i = 0; i < n; i++) await cockatiel.execute(noop);
  },
  'dyeline keyed registry (10k breakers)': async (n) => {
    for (let i = 0; i < n; i++) {
      const key = keys[i % KEYS] as string;
      await registry.get(key).execute(noop);
    }
  },
  'dyeline keyed policy (10k breakers + timeout)': async (n) => {
    for (let i = 0; i < n; i++) {
      const key = keys[i % KEYS] as string;
      let policy = keyedPolicies.get(key);
      if (policy === undefined) keyedPolicies.set(key, (policy = createPolicy({ timeout: 1000, breaker: registry.get(key) })));
      await policy.execute(noop);
    }
  },
};

async function measure(run: Case, n: number): Promise<number> {
  const start = process.hrtime.bigint();
  await run(n);
  return Number(process.hrtime.bigint() - start) / n;
}

// Everything runs inside one request context with a deadline, as a handler's outbound calls would.
const request = Deadline.after(3_600_000);
const results = await runWithTag(createTag({ color: 'bench', user: 'u1' }), () =>
  runWithDeadline(request, async () => {
    const names = Object.keys(cases);
    for (const name of names) await measure(cases[name] as Case, CALLS); // warm-up
    const runs: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved, rotating the order, so a slow moment hits every case alike.
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length] as string;
        runs[name]?.push(await measure(cases[name] as Case, CALLS));
      }
    }
    return Object.fromEntries(names.map((n) => [n, Math.round(median(runs[n] as number[]))]));
  }),
);
request.dispose();

// Memory per breaker: a registry full of 10,000 keyed breakers (rolling window off / on).
function bytesPerBreaker(options: Parameters<typeof createBreakerRegistry>[0]): number {
  registry = createBreakerRegistry({ maxKeys: 1 });
  keyedPolicies.clear();
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const r = createBreakerRegistry(options);
  for (const key of keys) r.get(key);
  gc();
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / KEYS;
  if (r.size !== KEYS) throw new Error('registry lost keys');
  return Math.round(bytes);
}
const memory = {
  consecutiveOnly: bytesPerBreaker({ options: { consecutiveFailures: 5 }, maxKeys: KEYS }),
  withErrorRateWindow: bytesPerBreaker({ options: { consecutiveFailures: 5, errorRate: { threshold: 0.5 } }, maxKeys: KEYS }),
};

const plain = results['plain await'] as number;
const table = Object.fromEntries(Object.entries(results).map(([name, ns]) => [name, { 'ns/call': ns, 'µs/call': +(ns / 1000).toFixed(3), 'over plain await (ns)': ns - plain }]));
console.table(table);
const main = results['dyeline breaker+timeout+deadline'] as number;
const ratios = {
  opossumOverDyeline: +((results['opossum fire (timeout)'] as number) / main).toFixed(2),
  cockatielOverDyeline: +((results['cockatiel breaker+timeout'] as number) / main).toFixed(2),
};
console.log('ratios', ratios, 'bytes per breaker', memory);
console.log(`target: dyeline breaker+timeout+deadline <= 1000 ns/call: ${main <= 1000 ? 'met' : 'MISSED'} (${main} ns)`);

const out = {
  node: process.version,
  rounds: ROUNDS,
  callsPerRound: CALLS,
  medianNsPerCall: results,
  ratios,
  bytesPerBreaker: memory,
  targetNs: 1000,
  met: main <= 1000,
};
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}resilience.json`, `${JSON.stringify(out, null, 2)}\n`);
