import type { Registry } from 'prom-client';
import { counter, safe } from './metric-parts.js';

/**
 * What {@link DyelineMetrics.onResilienceEvent} reads of an event of
 * `@dyeline/resilience` (`ResilienceEvent`). Declared here, structurally, so
 * that `@dyeline/observe` needs no dependency on the resilience package and
 * its types ship without a dangling import; every `ResilienceEvent` fits it
 * (a test compiles `createPolicy({ onEvent: metrics.onResilienceEvent })`).
 * Unknown `type`s are ignored, so newer event kinds do no harm.
 */
export interface ResilienceEventLike {
  /** `breaker-state`, `breaker-rejected`, `timeout`, `retry`, `retry-budget-exhausted` or `fault`. */
  readonly type: string;
  /** The breaker's name (`breaker-state`, `breaker-rejected`). */
  readonly name?: string;
  /** The new breaker state (`breaker-state`). */
  readonly to?: string;
  /** Why a retry happened (`retry`), e.g. `5xx` or `connect-failure`. */
  readonly reason?: string;
  /** `delay` or `abort` (`fault`). */
  readonly kind?: string;
  /** True when the request deadline, not the policy's own limit, ran out (`timeout`). */
  readonly deadline?: boolean;
}

/** What {@link DyelineMetrics.onOutlier} reads of a router's `OutlierEvent` (`@dyeline/routing`). */
export interface OutlierEventLike {
  readonly host: string;
  readonly subset?: string | undefined;
  /** Only ejections (`true`) are counted. */
  readonly ejected: boolean;
}

/** The resilience hooks of {@link DyelineMetrics}. @internal */
export interface ResilienceHooks {
  onResilienceEvent(event: ResilienceEventLike, policy?: string): void;
  onOutlier(event: OutlierEventLike): void;
}

/**
 * Registers the breaker, timeout, retry, fault and outlier counters and
 * returns the hooks feeding them; `setBreaker` feeds the breaker-state gauge.
 * @internal
 */
export function resilienceHooks(
  registry: Registry,
  prefix: string,
  label: (name: string, value: string) => string,
  setBreaker: (name: string, state: string) => void,
): ResilienceHooks {
  const rejections = counter(registry, `${prefix}breaker_rejections_total`, 'Calls refused by an open (or saturated half-open) circuit breaker.', ['breaker']);
  const timeouts = counter(registry, `${prefix}timeouts_total`, 'Calls stopped by a policy timeout (kind="timeout") or by the request deadline (kind="deadline").', ['policy', 'kind']);
  const retries = counter(registry, `${prefix}retries_total`, 'Retries started, by the condition that triggered them.', ['policy', 'reason']);
  const exhausted = counter(registry, `${prefix}retry_budget_exhausted_total`, 'Retries skipped because the retry budget was spent.', ['policy']);
  const faults = counter(registry, `${prefix}faults_injected_total`, 'Faults injected by policies, by kind (delay or abort).', ['policy', 'kind']);
  const ejections = counter(registry, `${prefix}outlier_ejections_total`, 'Instances ejected by outlier detection, by host and subset.', ['host', 'subset']);

  return {
    onResilienceEvent: safe((event: ResilienceEventLike, policy?: string) => {
      const p = label('policy', typeof policy === 'string' ? policy : '');
      switch (event.type) {
        case 'breaker-state':
          setBreaker(String(event.name), String(event.to));
          break;
        case 'breaker-rejected':
          rejections.inc({ breaker: label('breaker', String(event.name)) });
          break;
        case 'timeout':
          timeouts.inc({ policy: p, kind: event.deadline === true ? 'deadline' : 'timeout' });
          break;
        case 'retry':
          retries.inc({ policy: p, reason: label('reason', String(event.reason)) });
          break;
        case 'retry-budget-exhausted':
          exhausted.inc({ policy: p });
          break;
        case 'fault':
          faults.inc({ policy: p, kind: label('fault', String(event.kind)) });
          break;
        default:
        // A newer kind of event: nothing to count yet.
      }
    }),
    onOutlier: safe((event: OutlierEventLike) => {
      if (event.ejected !== true) return;
      ejections.inc({ host: label('host', String(event.host)), subset: label('subset', event.subset ?? '') });
    }),
  };
}
