import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ShadowIsolationError } from '@dyeline/core';
import { dyelineMetrics } from './dyeline-metrics.js';

async function value(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const { values } = await metric.get();
  const hit = values.find((v) => Object.keys(labels).length === Object.keys(v.labels).length && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return hit?.value;
}

describe('dyelineMetrics: resilience events', () => {
  it('maps each event type to its metric and ignores unknown types', async () => {
    const registry = new Registry();
    const m = dyelineMetrics({ registry });
    m.onResilienceEvent({ type: 'breaker-state', name: 'pay', from: 'closed', to: 'open', reason: 'consecutive-failures' } as never);
    m.onResilienceEvent({ type: 'breaker-rejected', name: 'pay' });
    m.onResilienceEvent({ type: 'timeout', deadline: true }, 'pay');
    m.onResilienceEvent({ type: 'timeout', deadline: false }, 'pay');
    m.onResilienceEvent({ type: 'retry', reason: 'reset' }, 'pay');
    m.onResilienceEvent({ type: 'retry-budget-exhausted', reason: 'reset' }, 'pay');
    m.onResilienceEvent({ type: 'fault', kind: 'delay' });
    m.onResilienceEvent({ type: 'something-new' });
    expect(await value(registry, 'dyeline_breaker_state', { breaker: 'pay' })).toBe(2);
    expect(await value(registry, 'dyeline_breaker_rejections_total', { breaker: 'pay' })).toBe(1);
    expect(await value(registry, 'dyeline_timeouts_total', { policy: 'pay', kind: 'deadline' })).toBe(1);
    expect(await value(registry, 'dyeline_timeouts_total', { policy: 'pay', kind: 'timeout' })).toBe(1);
    expect(await value(registry, 'dyeline_retries_total', { policy: 'pay', reason: 'reset' })).toBe(1);
    expect(await value(registry, 'dyeline_retry_budget_exhausted_total', { policy: 'pay' })).toBe(1);
    expect(await value(registry, 'dyeline_faults_injected_total', { policy: '', kind: 'delay' })).toBe(1);
  });

  it('bounds breaker, policy and host labels, and never throws on garbage', async () => {
    const registry = new Registry();
    const m = dyelineMetrics({ registry, maxLabelValues: 2 });
    for (let i = 0; i < 5; i++) m.onResilienceEvent({ type: 'breaker-rejected', name: `upstream-${i}` });
    for (let i = 0; i < 5; i++) m.onOutlier({ host: `h${i}`, subset: 'v1', ejected: true });
    m.onOutlier({ host: 'h0', subset: 'v1', ejected: false });
    expect(await value(registry, 'dyeline_breaker_rejections_total', { breaker: 'other' })).toBe(3);
    expect(await value(registry, 'dyeline_outlier_ejections_total', { host: 'other', subset: 'v1' })).toBe(3);
    expect(await value(registry, 'dyeline_outlier_ejections_total', { host: 'h0', subset: 'v1' })).toBe(1);
    expect(() => m.onResilienceEvent(null as never)).not.toThrow();
    expect(() => m.onOutlier(undefined as never)).not.toThrow();
  });
});

describe('dyelineMetrics: onShadowBlock', () => {
  it('counts shadow isolation errors (also as cause) and calls without an error, and ignores other errors', async () => {
    const registry = new Registry();
    const m = dyelineMetrics({ registry });
    m.onShadowBlock(new ShadowIsolationError('pg', 'refused'));
    m.onShadowBlock(new Error('wrapped', { cause: new ShadowIsolationError('pg', 'refused') }));
    m.onShadowBlock(new Error('unrelated'));
    m.onShadowBlock();
    expect(await value(registry, 'dyeline_shadow_blocks_total', { resource: 'pg' })).toBe(2);
    expect(await value(registry, 'dyeline_shadow_blocks_total', { resource: '' })).toBe(1);
  });
});

describe('dyelineMetrics: collectMiddlewareStats', () => {
  it('reads live stats at scrape time, and stops when told', async () => {
    const registry = new Registry();
    const m = dyelineMetrics({ registry });
    const stats = { inflight: 3, queued: 1, shed: 7 };
    const stop = m.collectMiddlewareStats('api', { stats });
    m.collectMiddlewareStats('faults', { stats: { injected: 2, untrusted: 1, undyed: 0, malformed: 4 } });
    expect(await value(registry, 'dyeline_inflight_requests', { middleware: 'api' })).toBe(3);
    stats.inflight = 0;
    stats.shed = 9;
    expect(await value(registry, 'dyeline_inflight_requests', { middleware: 'api' })).toBe(0);
    expect(await value(registry, 'dyeline_queued_requests', { middleware: 'api' })).toBe(1);
    expect(await value(registry, 'dyeline_shed_requests_total', { middleware: 'api' })).toBe(9);
    expect(await value(registry, 'dyeline_fault_headers_total', { middleware: 'faults', outcome: 'malformed' })).toBe(4);
    expect(await value(registry, 'dyeline_shed_requests_total', { middleware: 'faults' })).toBeUndefined();
    stop();
    expect(await value(registry, 'dyeline_shed_requests_total', { middleware: 'api' })).toBeUndefined();
  });

  it('shares sources between two dyelineMetrics on one registry', async () => {
    const registry = new Registry();
    dyelineMetrics({ registry });
    dyelineMetrics({ registry }).collectMiddlewareStats('late', { stats: { inflight: 5 } });
    expect(await value(registry, 'dyeline_inflight_requests', { middleware: 'late' })).toBe(5);
  });

  it('survives a throwing getter and rejects a source without stats', async () => {
    const registry = new Registry();
    const m = dyelineMetrics({ registry });
    m.collectMiddlewareStats('bad', {
      stats: {
        get inflight(): number {
          throw new Error('boom');
        },
      },
    });
    m.collectMiddlewareStats('good', { stats: { inflight: 1 } });
    expect(await value(registry, 'dyeline_inflight_requests', { middleware: 'good' })).toBe(1);
    expect(() => m.collectMiddlewareStats('', { stats: {} })).toThrow(TypeError);
    expect(() => m.collectMiddlewareStats('x', {} as never)).toThrow(/source must have a stats object/);
  });
});
