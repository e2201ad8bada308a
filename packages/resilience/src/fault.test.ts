import { describe, expect, it } from 'vitest';
import { Deadline, isDeadlineExceededError, runWithDeadline } from '@dyeline/core';
import type { ResilienceEvent } from './events.js';
import { injectFault } from './fault.js';
import { isInjectedFaultError } from './injected-fault-error.js';
import type { InjectedFaultError } from './injected-fault-error.js';

describe('injectFault', () => {
  it('affects no call when percentage is missing (Istio)', async () => {
    const fault = injectFault({ delay: { ms: 1000 }, abort: { status: 503 } });
    for (let i = 0; i < 50; i++) expect(fault.decide()).toBeUndefined();
    await expect(fault.execute(() => 'called')).resolves.toBe('called');
  });

  it('aborts with the status for the given share of calls', async () => {
    let i = 0;
    const fault = injectFault({ abort: { status: 503, percentage: 50 }, random: () => [0.1, 0.9][i++ % 2] as number });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => fault.execute(() => 'ok').catch((e: unknown) => e)));
    const aborted = outcomes.filter(isInjectedFaultError) as InjectedFaultError[];
    expect(aborted).toHaveLength(5);
    expect(aborted[0]?.status).toBe(503);
    expect(aborted[0]?.code).toBe('ERR_DYELINE_INJECTED_FAULT');
  });

  it('delays, reports it, and never waits past the request deadline', async () => {
    const events: ResilienceEvent[] = [];
    const fault = injectFault({ delay: { ms: '60ms', percentage: 100 }, onEvent: (e) => events.push(e) });
    const started = performance.now();
    await expect(fault.execute(() => 'late')).resolves.toBe('late');
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(events).toEqual([{ type: 'fault', kind: 'delay', delayMs: 60 }]);
    const capped = injectFault({ delay: { ms: 5000, percentage: 100 } });
    const t0 = performance.now();
    await expect(runWithDeadline(Deadline.after(40), () => capped.execute(() => 'never'))).rejects.toSatisfy(isDeadlineExceededError);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('aborts with a given error or gRPC code, and rejects bad options when built', async () => {
    await expect(injectFault({ abort: { error: new Error('custom'), percentage: 100 } }).execute(() => 1)).rejects.toThrow('custom');
    await expect(injectFault({ abort: { grpcCode: 14, percentage: 100 } }).execute(() => 1)).rejects.toMatchObject({ grpcCode: 14 });
    expect(() => injectFault({ abort: { status: 999, percentage: 1 } })).toThrow(/abort.status/);
    expect(() => injectFault({ abort: { percentage: 1 } })).toThrow(/abort needs/);
    expect(() => injectFault({ delay: { ms: 1, percentage: 101 } })).toThrow(/delay.percentage/);
  });
});
