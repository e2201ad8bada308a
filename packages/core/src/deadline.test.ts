import { describe, expect, it } from 'vitest';
import { Deadline, DeadlineExceededError, isDeadlineExceededError } from './deadline.js';
import { isDyelineError } from './errors.js';

describe('Deadline', () => {
  it('rejects a bad budget with TypeError', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      expect(() => Deadline.after(bad)).toThrow(TypeError);
    }
  });

  it('counts down and reports expiry', async () => {
    const deadline = Deadline.after(30);
    expect(deadline.budgetMs).toBe(30);
    expect(deadline.expired).toBe(false);
    expect(deadline.remaining()).toBeGreaterThan(0);
    expect(deadline.remaining()).toBeLessThanOrEqual(30);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(deadline.expired).toBe(true);
    expect(deadline.remaining()).toBe(0);
  });

  it('creates the signal only on demand', () => {
    const deadline = Deadline.after(1000);
    expect(deadline.hasSignal).toBe(false);
    void deadline.signal;
    expect(deadline.hasSignal).toBe(true);
    deadline.dispose();
  });

  it('aborts the signal at expiry with DeadlineExceededError', async () => {
    const deadline = Deadline.after(20);
    const signal = deadline.signal;
    const reason = await new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect(isDeadlineExceededError(reason)).toBe(true);
    expect(isDyelineError(reason)).toBe(true);
    expect((reason as DeadlineExceededError).code).toBe('ERR_DYELINE_DEADLINE_EXCEEDED');
    expect((reason as DeadlineExceededError).budgetMs).toBe(20);
  });

  it('gives an already aborted signal when asked after expiry', () => {
    const deadline = Deadline.after(0);
    expect(deadline.signal.aborted).toBe(true);
    expect(isDeadlineExceededError(deadline.signal.reason)).toBe(true);
  });

  it('abort() aborts now with the given reason', () => {
    const deadline = Deadline.after(10_000);
    const signal = deadline.signal;
    const reason = new Error('client went away');
    deadline.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(deadline.expired).toBe(true);
  });

  it('dispose() stops the timer without aborting', async () => {
    const deadline = Deadline.after(10);
    const signal = deadline.signal;
    deadline.dispose();
    await new Promise((resolve) => setTimeout(resolve, 25));
    expect(signal.aborted).toBe(false);
  });

  it('a deadline beyond the 24.8-day timer limit does not abort early', async () => {
    const deadline = Deadline.after(2 ** 32);
    const signal = deadline.signal;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signal.aborted).toBe(false);
    deadline.dispose();
  });

  it('abort() before anybody asked for the signal still gives an aborted signal later', () => {
    const deadline = Deadline.after(60_000);
    const reason = new Error('client went away');
    deadline.abort(reason);
    expect(deadline.expired).toBe(true);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(reason);
  });

  it('earliest() picks the sooner deadline and accepts undefined', () => {
    const soon = Deadline.after(10);
    const late = Deadline.after(1000);
    expect(Deadline.earliest(soon, late)).toBe(soon);
    expect(Deadline.earliest(late, soon)).toBe(soon);
    expect(Deadline.earliest(undefined, late)).toBe(late);
    expect(Deadline.earliest(soon, undefined)).toBe(soon);
    expect(Deadline.earliest(undefined, undefined)).toBeUndefined();
  });
});
