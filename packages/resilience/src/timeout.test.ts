import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline, isDeadlineExceededError, isDyelineError, runWithDeadline } from '@dyeline/core';
import { deadlineSignal, remainingTime, withDeadline } from './deadline.js';
import { startUpstream } from './test-upstream.js';
import type { Upstream } from './test-upstream.js';
import { createTimeout, timeout } from './timeout.js';
import { isTimeoutError } from './timeout-error.js';
import type { TimeoutError } from './timeout-error.js';

let upstream: Upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

describe('timeout', () => {
  it('passes a fast call through', async () => {
    const res = await timeout((signal) => fetch(`${upstream.url}/ok`, { signal }), 2000);
    expect(await res.text()).toBe('ok');
  });

  it('rejects a hanging call with TimeoutError and aborts it: the upstream sees the request closed', async () => {
    const before = upstream.aborted;
    const started = performance.now();
    const error = await timeout((signal) => fetch(`${upstream.url}/hang`, { signal }), 80).catch((e: unknown) => e);
    expect(isTimeoutError(error) && isDyelineError(error)).toBe(true);
    expect((error as TimeoutError).timeoutMs).toBe(80);
    expect((error as TimeoutError).code).toBe('ERR_DYELINE_TIMEOUT');
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    await expect.poll(() => upstream.aborted).toBe(before + 1);
  });

  it('creates no signal for work that takes none, yet still rejects in time', async () => {
    let received: unknown = 'unset';
    const error = await timeout(
       
      function (this: unknown) { received = arguments[0]; return new Promise(() => undefined); },
      20,
    ).catch((e: unknown) => e);
    expect(received).toBeUndefined();
    expect(isTimeoutError(error)).toBe(true);
  });

  it('stops at the request deadline when it is earlier, with DeadlineExceededError', async () => {
    const before = upstream.aborted;
    const error = await runWithDeadline(Deadline.after(60), () => timeout((signal) => fetch(`${upstream.url}/hang`, { signal }), 5000)).catch((e: unknown) => e);
    expect(isDeadlineExceededError(error)).toBe(true);
    await expect.poll(() => upstream.aborted).toBe(before + 1);
    // An expired deadline does not even start the work.
    let called = false;
    const deadline = Deadline.after(0);
    await expect(runWithDeadline(deadline, () => timeout(() => (called = true), 1000))).rejects.toSatisfy(isDeadlineExceededError);
    expect(called).toBe(false);
  });

  it('aborts the work when the caller signal or the request deadline is aborted by hand', async () => {
    const caller = new AbortController();
    const pending = timeout((signal) => fetch(`${upstream.url}/hang`, { signal }), { ms: 5000, signal: caller.signal });
    setTimeout(() => caller.abort(new Error('client went away')), 20);
    await expect(pending).rejects.toThrow('client went away');
    const deadline = Deadline.after(5000);
    void deadline.signal; // somebody (the ingress) listens: a manual abort must reach the work
    const viaDeadline = runWithDeadline(deadline, () => timeout((signal) => fetch(`${upstream.url}/hang`, { signal }), 5000));
    setTimeout(() => deadline.abort(new Error('ingress timeout')), 20);
    await expect(viaDeadline).rejects.toThrow('ingress timeout');
  });

  it('passes sync results and errors through and reports timeouts to onTimeout', async () => {
    await expect(timeout(() => 42, 10)).resolves.toBe(42);
    await expect(timeout(() => { throw new Error('sync'); }, 10)).rejects.toThrow('sync');
    const seen: unknown[] = [];
    const policy = createTimeout({ ms: 10, onTimeout: (e) => seen.push(e) });
    await expect(policy.execute(() => new Promise(() => undefined))).rejects.toSatisfy(isTimeoutError);
    expect(seen).toHaveLength(1);
    expect(() => createTimeout(-1)).toThrow(/ms/);
    expect(() => timeout(() => 1, { ms: Number.NaN })).toThrow(/ms/);
  });
});

describe('deadline helpers', () => {
  it('remainingTime is Infinity outside a deadline and counts down inside', async () => {
    expect(remainingTime()).toBe(Number.POSITIVE_INFINITY);
    expect(deadlineSignal()).toBeUndefined();
    await withDeadline(200, async () => {
      expect(remainingTime()).toBeLessThanOrEqual(200);
      expect(remainingTime()).toBeGreaterThan(100);
      // withDeadline never extends the deadline in force.
      await withDeadline(10_000, async () => {
        expect(remainingTime()).toBeLessThanOrEqual(200);
      });
    });
  });

  it('deadlineSignal aborts the work at the deadline', async () => {
    const before = upstream.aborted;
    const error = await withDeadline(50, () => fetch(`${upstream.url}/hang`, { signal: deadlineSignal() })).catch((e: unknown) => e);
    expect(isDeadlineExceededError(error)).toBe(true);
    await expect.poll(() => upstream.aborted).toBe(before + 1);
  });
});
