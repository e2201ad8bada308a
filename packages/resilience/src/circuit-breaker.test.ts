import { describe, expect, it } from 'vitest';
import { isDyelineError } from '@dyeline/core';
import type { BrokenCircuitError} from './broken-circuit-error.js';
import { isBrokenCircuitError } from './broken-circuit-error.js';
import { createBreakerRegistry } from './breaker-registry.js';
import type { BreakerStateChange } from './breaker-config.js';
import { grpcCodeClassifier, httpStatusClassifier } from './classifiers.js';
import { createCircuitBreaker } from './circuit-breaker.js';

// The breaker reads an injected clock: the state machine is tested without waiting.
function fakeClock(start = 1000) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

const fail = () => Promise.reject(new Error('boom'));
const ok = () => Promise.resolve('ok');

describe('createCircuitBreaker', () => {
  it('opens after consecutive failures, rejects with retryAfterMs, half-opens after the backoff and closes on a trial success', async () => {
    const clock = fakeClock();
    const changes: BreakerStateChange[] = [];
    const breaker = createCircuitBreaker({ name: 'up', consecutiveFailures: 3, backoff: { initial: 100 }, clock: clock.read, onStateChange: (c) => changes.push(c) });
    await expect(breaker.execute(fail)).rejects.toThrow('boom');
    await expect(breaker.execute(ok)).resolves.toBe('ok'); // a success resets the count
    for (let i = 0; i < 3; i++) await expect(breaker.execute(fail)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    clock.now += 40;
    const error = await breaker.execute(ok).catch((e: unknown) => e);
    expect(isBrokenCircuitError(error) && isDyelineError(error)).toBe(true);
    expect((error as BrokenCircuitError).retryAfterMs).toBe(60);
    expect((error as BrokenCircuitError).code).toBe('ERR_DYELINE_BROKEN_CIRCUIT');
    clock.now += 60;
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.from}>${c.to}:${c.reason}`)).toEqual(['closed>open:consecutive-failures', 'open>half-open:backoff-elapsed', 'half-open>closed:trial-succeeded']);
    expect(changes[0]).toMatchObject({ name: 'up', openForMs: 100 });
  });

  it('lets a bounded number of trials through when half-open; a failed trial reopens with a longer, capped backoff', async () => {
    const clock = fakeClock();
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, halfOpenMaxCalls: 2, backoff: { initial: 100, max: 250, multiplier: 2 }, clock: clock.read });
    await breaker.execute(fail).catch(() => undefined);
    const opens: number[] = [];
    for (let round = 0; round < 3; round++) {
      opens.push(breaker.retryAfterMs());
      clock.now += breaker.retryAfterMs();
      expect(breaker.tryAcquire()).toBe(true);
      expect(breaker.tryAcquire()).toBe(true);
      expect(breaker.tryAcquire()).toBe(false); // the third waits
      breaker.onFailure();
    }
    expect(opens).toEqual([100, 200, 250]);
    // A success closes it and resets the backoff.
    clock.now += 250;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    await breaker.execute(fail).catch(() => undefined);
    expect(breaker.retryAfterMs()).toBe(100);
  });

  it('opens on the error rate over the rolling window only past the minimum volume; old buckets fall out', async () => {
    const clock = fakeClock(0);
    const breaker = createCircuitBreaker({ consecutiveFailures: 0, errorRate: { threshold: 0.5, window: '1s', buckets: 10, minimumVolume: 10 }, clock: clock.read });
    for (let i = 0; i < 4; i++) {
      breaker.record(new Error('x'), true);
      breaker.record('ok', false);
    }
    expect(breaker.state).toBe('closed'); // 8 calls < minimum volume
    clock.now += 1500; // all of it falls out of the window
    for (let i = 0; i < 9; i++) breaker.record('ok', false);
    breaker.record(new Error('x'), true);
    expect(breaker.state).toBe('closed'); // 1/10
    for (let i = 0; i < 8; i++) breaker.record(new Error('x'), true);
    expect(breaker.state).toBe('open'); // 9/18 = 0.5
  });

  it('classifies outcomes: HTTP 5xx and gRPC server codes are failures, 4xx and NOT_FOUND are not', () => {
    const clock = fakeClock();
    const http = createCircuitBreaker({ consecutiveFailures: 2, isFailure: httpStatusClassifier(), clock: clock.read });
    expect(http.record({ status: 404 }, false)).toBe(false);
    expect(http.record({ status: 503 }, false)).toBe(true);
    expect(http.record(new Error('net'), true)).toBe(true);
    expect(http.state).toBe('open');
    const grpc = createCircuitBreaker({ isFailure: grpcCodeClassifier(), clock: clock.read });
    expect(grpc.record(Object.assign(new Error('nf'), { code: 5 }), true)).toBe(false);
    expect(grpc.record(Object.assign(new Error('un'), { code: 14 }), true)).toBe(true);
  });

  it('serialises its state and restores it in another breaker', async () => {
    const clock = fakeClock();
    const a = createCircuitBreaker({ consecutiveFailures: 1, backoff: { initial: 100 }, clock: clock.read });
    await a.execute(fail).catch(() => undefined);
    clock.now += 30;
    const json = JSON.parse(JSON.stringify(a)) as ReturnType<typeof a.toJSON>;
    expect(json).toEqual({ state: 'open', consecutiveFailures: 0, openCount: 1, retryAfterMs: 70 });
    const b = createCircuitBreaker({ consecutiveFailures: 1, backoff: { initial: 100 }, clock: clock.read });
    b.restore(json);
    expect(b.state).toBe('open');
    expect(b.retryAfterMs()).toBe(70);
    expect(() => b.restore({ ...json, state: 'weird' as 'open' })).toThrow(TypeError);
  });

  it('ignores late outcomes while open and survives a throwing listener', async () => {
    const clock = fakeClock();
    const errors: unknown[] = [];
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, clock: clock.read, onStateChange: () => { throw new Error('listener'); }, onError: (e) => errors.push(e) });
    expect(breaker.tryAcquire()).toBe(true); // admitted while closed, finishes later
    await breaker.execute(fail).catch(() => undefined);
    breaker.onSuccess();
    expect(breaker.state).toBe('open');
    expect(errors).toHaveLength(1);
  });

  it('rejects bad options when built', () => {
    expect(() => createCircuitBreaker({ consecutiveFailures: -1 })).toThrow(/consecutiveFailures/);
    expect(() => createCircuitBreaker({ errorRate: { threshold: 2 } })).toThrow(/errorRate.threshold/);
    expect(() => createCircuitBreaker({ backoff: { initial: '1x' } })).toThrow(/backoff.initial/);
    expect(() => createCircuitBreaker({ isFailure: 1 as never })).toThrow(/isFailure/);
  });
});

describe('createBreakerRegistry', () => {
  it('keeps one breaker per key, bounded, evicting closed unused ones before open ones', async () => {
    const registry = createBreakerRegistry({ options: { consecutiveFailures: 1 }, maxKeys: 3 });
    const a = registry.get('a|v1');
    expect(registry.get('a|v1')).toBe(a);
    expect(a.name).toBe('a|v1');
    await a.execute(fail).catch(() => undefined); // a is open
    registry.get('b');
    registry.get('c');
    registry.get('d');
    registry.get('e');
    expect(registry.size).toBe(3);
    expect(registry.peek('a|v1')).toBe(a);
    expect(registry.toJSON()['a|v1']?.state).toBe('open');
    expect(() => createBreakerRegistry({ maxKeys: 0 })).toThrow(/maxKeys/);
  });
});
