import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Deadline, runWithDeadline } from '@dyeline/core';
import { createPolicy, timeout } from '@dyeline/resilience';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}
// Nothing may be left over that was not there before (other timers may have finished meanwhile).
function expectNoMoreThan(before: Record<string, number>): void {
  const after = resources();
  for (const [kind, n] of Object.entries(after)) expect({ kind, n }).toEqual({ kind, n: Math.min(n, before[kind] ?? 0) });
}
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('no leaked timers or listeners after 100,000 calls', () => {
  it('breaker + timeout + deadline, with and without a signal, success and failure', async () => {
    const policy = createPolicy({ timeout: 150, breaker: { consecutiveFailures: 1_000_000 } });
    const deadline = Deadline.after(60_000);
    const deadlineSignal = deadline.signal; // somebody listens: calls asking for a signal link to it
    // Warm up, so lazily created structures exist before the baseline.
    await runWithDeadline(deadline, () => policy.execute(() => 1));
    await new Promise((r) => setTimeout(r, 200));
    const before = resources();
    const heapBefore = heapMb();
    await runWithDeadline(deadline, async () => {
      for (let i = 0; i < 100_000; i++) {
        if (i % 4 === 0) await policy.execute(async () => i);
        else if (i % 4 === 1) await policy.execute(async (signal) => signal.aborted);
        else if (i % 4 === 2) await policy.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
        else await timeout(async (signal) => signal.aborted, 150);
      }
    });
    expect(getEventListeners(deadlineSignal, 'abort')).toHaveLength(0);
    // The shared wheel timer lives until the last (empty) bucket is due, then goes.
    await new Promise((r) => setTimeout(r, 250));
    expectNoMoreThan(before);
    expect(heapMb() - heapBefore).toBeLessThan(4);
    deadline.dispose();
  });

  it('timed-out calls leave nothing behind either', async () => {
    const before = resources();
    const results = await Promise.allSettled(Array.from({ length: 2000 }, () => timeout((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))), 20)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expectNoMoreThan(before);
  });
});
