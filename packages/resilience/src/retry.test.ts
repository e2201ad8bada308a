import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline, runWithDeadline } from '@dyeline/core';
import type { ResilienceEvent } from './events.js';
import { createRetryBudget } from './retry-budget.js';
import { parseRetryOn } from './retry-on.js';
import { createRetryPolicy, retry } from './retry.js';
import { refusedUrl, startUpstream } from './test-upstream.js';
import type { Upstream } from './test-upstream.js';
import { TimeoutError } from './timeout-error.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const noWait = { backoff: () => 0 };

describe('parseRetryOn (Envoy meanings)', () => {
  it('matches statuses, network failures and gRPC codes', async () => {
    const refused = await fetch(await refusedUrl()).catch((e: unknown) => e);
    const c = parseRetryOn('5xx');
    expect(c({ status: 503 }, false)).toBe('5xx');
    expect(c({ status: 404 }, false)).toBeUndefined();
    expect(c(refused, true)).toBe('5xx');
    expect(c(new TimeoutError(5), true)).toBe('5xx');
    expect(parseRetryOn('gateway-error')({ status: 500 }, false)).toBeUndefined();
    expect(parseRetryOn('gateway-error')({ status: 504 }, false)).toBe('gateway-error');
    expect(parseRetryOn('connect-failure')(refused, true)).toBe('connect-failure');
    expect(parseRetryOn('connect-failure')(new TimeoutError(5), true)).toBeUndefined();
    expect(parseRetryOn('retriable-4xx,429')({ status: 409 }, false)).toBe('retriable-4xx');
    expect(parseRetryOn(['429'])({ status: 429 }, false)).toBe('429');
    const grpc = parseRetryOn('unavailable,cancelled');
    expect(grpc(Object.assign(new Error('u'), { code: 14 }), true)).toBe('unavailable');
    expect(grpc(Object.assign(new Error('n'), { code: 5 }), true)).toBeUndefined();
    expect(() => parseRetryOn('5xx,sometimes')).toThrow(/unknown condition "sometimes"/);
  });
});

describe('retry against a real upstream', () => {
  it('retries a 503 until the upstream recovers and returns the good response', async () => {
    const events: ResilienceEvent[] = [];
    const res = await retry((signal) => fetch(`${upstream.url}/flaky?fail=2&key=a`, { signal }), { ...noWait, attempts: 3, retryOn: '5xx', onEvent: (e) => events.push(e) });
    expect(res.status).toBe(200);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('gives up after `attempts` retries and returns the last response', async () => {
    const res = await retry(() => fetch(`${upstream.url}/flaky?fail=10&key=b`), { ...noWait, attempts: 2, retryOn: '5xx' });
    expect(res.status).toBe(503);
    expect(upstream.hits.get('/flaky')).toBeGreaterThanOrEqual(5);
  });

  it('retries connect failures by default (Istio retryOn) and throws the last error', async () => {
    const url = await refusedUrl();
    let tries = 0;
    await expect(retry(() => (tries++, fetch(url)), noWait)).rejects.toThrow('fetch failed');
    expect(tries).toBe(3);
  });

  it('retries a hanging try after perTryTimeout (the upstream sees each abort)', async () => {
    const before = upstream.aborted;
    let tries = 0;
    const res = await retry((signal, attempt) => (tries++, fetch(`${upstream.url}/${attempt === 1 ? 'hang' : 'ok'}`, { signal })), { ...noWait, perTryTimeout: 50, retryOn: 'reset' });
    expect(await res.text()).toBe('ok');
    expect(tries).toBe(2);
    await expect.poll(() => upstream.aborted).toBe(before + 1);
  });

  it('retries only idempotent methods, except when nothing was sent', async () => {
    let tries = 0;
    const res = await retry(() => (tries++, fetch(`${upstream.url}/flaky?fail=1&key=post`, { method: 'POST' })), { ...noWait, retryOn: '5xx', method: 'POST' });
    expect(res.status).toBe(503);
    expect(tries).toBe(1);
    const url = await refusedUrl();
    tries = 0;
    await expect(retry(() => (tries++, fetch(url, { method: 'POST' })), { ...noWait, method: 'POST' })).rejects.toThrow();
    expect(tries).toBe(3);
  });

  it('never starts a try past the request deadline', async () => {
    let tries = 0;
    const started = performance.now();
    const res = await runWithDeadline(Deadline.after(100), () =>
      retry(() => (tries++, fetch(`${upstream.url}/flaky?fail=100&key=d`)), { attempts: 50, retryOn: '5xx', backoff: () => 40 }),
    );
    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(150);
    expect(tries).toBeLessThanOrEqual(3);
  });
});

describe('retry budget under load', () => {
  it('caps retries at ratio × requests + reserve while the upstream fails', async () => {
    upstream.status = 503;
    const budget = createRetryBudget({ ratio: 0.2, minPerSecond: 1, ttl: '10s' });
    const events: ResilienceEvent[] = [];
    const policy = createRetryPolicy({ ...noWait, attempts: 3, retryOn: '5xx', budget, onEvent: (e) => events.push(e) });
    let tries = 0;
    const calls = 200;
    const results = await Promise.all(Array.from({ length: calls }, () => policy.execute(() => (tries++, fetch(`${upstream.url}/status`)))));
    upstream.status = 200;
    expect(results.every((r) => r.status === 503)).toBe(true);
    const retries = tries - calls;
    // Without a budget: 600 retries. With it: at most 0.2 × 200 + 10 reserve.
    expect(retries).toBeLessThanOrEqual(50);
    expect(retries).toBeGreaterThanOrEqual(10);
    expect(events.some((e) => e.type === 'retry-budget-exhausted')).toBe(true);
    expect(budget.balance).toBe(0);
  });

  it('refills as the window moves on', () => {
    const clock = { now: 0 };
    const budget = createRetryBudget({ ratio: 0.5, minPerSecond: 0, ttl: 1000, clock: () => clock.now });
    for (let i = 0; i < 4; i++) budget.deposit();
    expect([budget.tryWithdraw(), budget.tryWithdraw(), budget.tryWithdraw()]).toEqual([true, true, false]);
    clock.now += 1100;
    expect(budget.tryWithdraw()).toBe(false);
    budget.deposit();
    budget.deposit();
    expect(budget.tryWithdraw()).toBe(true);
  });
});
