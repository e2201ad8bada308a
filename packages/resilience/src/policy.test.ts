import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBrokenCircuitError } from './broken-circuit-error.js';
import { httpStatusClassifier } from './classifiers.js';
import type { ResilienceEvent } from './events.js';
import { isInjectedFaultError } from './injected-fault-error.js';
import { createPolicy } from './policy.js';
import { startUpstream } from './test-upstream.js';
import type { Upstream } from './test-upstream.js';
import { isTimeoutError } from './timeout-error.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

describe('createPolicy', () => {
  it('opens the breaker on timeouts of a hanging upstream, sheds calls, and closes when it recovers', async () => {
    const events: ResilienceEvent[] = [];
    const policy = createPolicy({
      // Long enough that a busy machine still gets each request to the upstream before it times out.
      timeout: 150,
      breaker: { consecutiveFailures: 2, backoff: { initial: 100 }, isFailure: httpStatusClassifier() },
      onEvent: (e) => events.push(e),
    });
    const before = upstream.aborted;
    const hangsBefore = upstream.hits.get('/hang') ?? 0;
    for (let i = 0; i < 2; i++) await expect(policy.execute((signal) => fetch(`${upstream.url}/hang`, { signal }))).rejects.toSatisfy(isTimeoutError);
    // Every hanging request that reached the upstream was aborted by the timeout.
    const arrived = (upstream.hits.get('/hang') ?? 0) - hangsBefore;
    expect(arrived).toBeGreaterThan(0);
    await expect.poll(() => upstream.aborted - before).toBe(arrived);
    const hitsBefore = upstream.hits.get('/ok') ?? 0;
    await expect(policy.execute(() => fetch(`${upstream.url}/ok`))).rejects.toSatisfy(isBrokenCircuitError);
    expect(upstream.hits.get('/ok') ?? 0).toBe(hitsBefore); // shed: never sent
    await new Promise((r) => setTimeout(r, 110));
    expect(await (await policy.execute(() => fetch(`${upstream.url}/ok`))).text()).toBe('ok');
    expect(policy.breaker?.state).toBe('closed');
    expect(events.map((e) => e.type)).toEqual(['timeout', 'timeout', 'breaker-state', 'breaker-rejected', 'breaker-state', 'breaker-state']);
  });

  it('a hung half-open trial is freed by the per-try timeout instead of blocking the breaker forever', async () => {
    const policy = createPolicy({ breaker: { consecutiveFailures: 1, backoff: { initial: 20 } }, retry: { attempts: 0, perTryTimeout: 30 } });
    await expect(policy.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await new Promise((r) => setTimeout(r, 25));
    await expect(policy.execute(() => new Promise(() => undefined))).rejects.toSatisfy(isTimeoutError); // the trial hangs
    await new Promise((r) => setTimeout(r, 45));
    await expect(policy.execute(() => 'back')).resolves.toBe('back');
  });

  it('retries 5xx per try under the whole-call timeout, each try counted by the breaker', async () => {
    const policy = createPolicy({ timeout: 2000, retry: { attempts: 3, retryOn: '5xx', backoff: () => 1 }, breaker: { consecutiveFailures: 10, isFailure: httpStatusClassifier() } });
    const res = await policy.execute((signal) => fetch(`${upstream.url}/flaky?fail=2&key=policy`, { signal }));
    expect(res.status).toBe(200);
    expect(policy.breaker?.toJSON().consecutiveFailures).toBe(0);
    const timed = createPolicy({ timeout: 60, retry: { attempts: 10, retryOn: 'reset', perTryTimeout: 25, backoff: () => 1 } });
    const t0 = performance.now();
    await expect(timed.execute((signal) => fetch(`${upstream.url}/hang`, { signal }))).rejects.toSatisfy(isTimeoutError);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('applies the fault first and reports it', async () => {
    const events: ResilienceEvent[] = [];
    const policy = createPolicy({ fault: { abort: { status: 503, percentage: 100 } }, onEvent: (e) => events.push(e) });
    await expect(policy.execute(() => 'x')).rejects.toSatisfy(isInjectedFaultError);
    expect(events).toEqual([{ type: 'fault', kind: 'abort', status: 503 }]);
  });
});
