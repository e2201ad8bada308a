import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentTag, isInvalidTagError, isShadowIsolationError, isUntrustedTagError } from '@dyeline/core';
import { register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';
import { counter, gauge, labelCapper, safe } from './metric-parts.js';
import { resilienceHooks } from './resilience-metrics.js';
import type { OutlierEventLike, ResilienceEventLike } from './resilience-metrics.js';
import { statsCollector } from './stats-metrics.js';
import type { MiddlewareStatsLike } from './stats-metrics.js';

/** Options of {@link dyelineMetrics}. */
export interface DyelineMetricsOptions {
  /** Where the metrics live. Default: prom-client's global `register`. */
  registry?: Registry;
  /** Name prefix. Default `dyeline_`. */
  prefix?: string;
  /** The subset (version) this service serves, e.g. `process.env.VERSION`; the `subset` label of requests. */
  subset?: string;
  /** Distinct values kept per label (colors, resources, breakers); later ones are counted as `other`. Default 100. */
  maxLabelValues?: number;
}

/** Breaker states as the `breaker_state` gauge reports them. */
export const BREAKER_STATES = { closed: 0, 'half-open': 1, halfOpen: 1, open: 2, isolated: 2 } as const;

/** The metrics and the hooks to feed them; every hook is safe to pass as another package's callback. */
export interface DyelineMetrics {
  readonly registry: Registry;
  /** Counts one request: `requests_total{color,subset,outcome}`; color from the current tag unless given. */
  recordRequest(outcome: string, labels?: { color?: string; subset?: string }): void;
  /** Counts `req` when its response closes: outcome `2xx`...`5xx` or `aborted`. Call it after dyeline ingress. */
  observeRequest(req: IncomingMessage, res: ServerResponse): void;
  /** For ingress `onError`: counts `untrusted_tag_drops_total{field}` and `invalid_tag_drops_total{reason}`. */
  onIngressError(error: unknown): void;
  /**
   * Counts `shadow_blocks_total{resource}` for a `ShadowIsolationError` (or one
   * as `cause`), or for a call without an error; other errors are ignored — so
   * it also fits a catch-all: Koa `app.on('error', …)`, an Express error handler,
   * a shadow resolver's `onReport`.
   */
  onShadowBlock(error?: unknown): void;
  /** For breaker `onStateChange`: sets `breaker_state{breaker}` to 0 closed, 1 half-open, 2 open. */
  onBreakerStateChange(breaker: string, state: string): void;
  /**
   * For a `@dyeline/resilience` policy's `onEvent`: `breaker-state` sets
   * `breaker_state`; the others count `breaker_rejections_total{breaker}`,
   * `timeouts_total{policy,kind}`, `retries_total{policy,reason}`,
   * `retry_budget_exhausted_total{policy}`, `faults_injected_total{policy,kind}`.
   * `policy` (default `''`) names the policy in those labels:
   * `onEvent: (e) => metrics.onResilienceEvent(e, 'payments')`.
   */
  onResilienceEvent(event: ResilienceEventLike, policy?: string): void;
  /** For a router's `onOutlier`: counts ejections, `outlier_ejections_total{host,subset}`. */
  onOutlier(event: OutlierEventLike): void;
  /**
   * Exports a middleware's live `.stats` at scrape time (no per-request cost):
   * `concurrencyLimit()` → `inflight_requests`, `queued_requests`,
   * `shed_requests_total`; `faultInjection()` → `fault_headers_total{outcome}`;
   * all labelled `middleware=name`. A later source of the same name replaces it.
   * Returns a function that stops exporting it.
   *
   * @throws {TypeError} when `name` is empty or `source` has no `stats` object.
   */
  collectMiddlewareStats(name: string, source: { readonly stats: MiddlewareStatsLike }): () => void;
}

/**
 * Creates dyeline's Prometheus metrics — requests by color, subset and
 * outcome; breaker state; shadow blocks; untrusted and invalid tag drops;
 * timeouts, retries, breaker rejections, injected faults, outlier ejections
 * and load shedding — and the hooks that feed them. Hooks never throw.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineMetrics(options: DyelineMetricsOptions = {}): DyelineMetrics {
  const registry = options.registry ?? globalRegistry;
  const prefix = options.prefix ?? 'dyeline_';
  const max = options.maxLabelValues ?? 100;
  if (typeof registry?.getSingleMetric !== 'function') throw new TypeError('dyelineMetrics: options.registry must be a prom-client Registry');
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(prefix)) throw new TypeError('dyelineMetrics: options.prefix must be a metric name prefix');
  if (!Number.isInteger(max) || max < 1) throw new TypeError('dyelineMetrics: options.maxLabelValues must be a positive integer');
  if (options.subset !== undefined && typeof options.subset !== 'string') throw new TypeError('dyelineMetrics: options.subset must be a string');
  const ownSubset = options.subset ?? '';

  const requests = counter(registry, `${prefix}requests_total`, 'Requests served, by tag color, subset and outcome.', ['color', 'subset', 'outcome']);
  const shadowBlocks = counter(registry, `${prefix}shadow_blocks_total`, 'Operations of shadow traffic refused by isolation guards.', ['resource']);
  const untrusted = counter(registry, `${prefix}untrusted_tag_drops_total`, 'Tag fields dropped because the caller was not trusted to set them.', ['field']);
  const invalid = counter(registry, `${prefix}invalid_tag_drops_total`, 'Tag values or headers dropped as invalid.', ['reason']);
  const breakers = gauge(registry, `${prefix}breaker_state`, 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', ['breaker']);
  const label = labelCapper(max);

  const onBreakerStateChange = safe((name: string, state: string) => {
    const value = (BREAKER_STATES as Record<string, number>)[state];
    if (value !== undefined) breakers.set({ breaker: label('breaker', String(name)) }, value);
  });
  const { onResilienceEvent, onOutlier } = resilienceHooks(registry, prefix, label, onBreakerStateChange);
  const collectMiddlewareStats = statsCollector(registry, prefix, label);

  const recordRequest = safe((outcome: string, labels?: { color?: string; subset?: string }) => {
    requests.inc({
      color: label('color', labels?.color ?? currentTag()?.color ?? ''),
      subset: label('subset', labels?.subset ?? ownSubset),
      outcome: String(outcome),
    });
  });

  return {
    registry,
    recordRequest,
    observeRequest: safe((req: IncomingMessage, res: ServerResponse) => {
      const tagColor = currentTag()?.color ?? '';
      res.once('close', () => {
        recordRequest(res.writableFinished ? `${Math.floor(res.statusCode / 100)}xx` : 'aborted', { color: tagColor });
      });
    }),
    onIngressError: safe((error: unknown) => {
      if (isUntrustedTagError(error)) for (const field of error.fields) untrusted.inc({ field: field.startsWith('extra:') ? 'extra' : field });
      else if (isInvalidTagError(error)) invalid.inc({ reason: error.reason });
    }),
    onShadowBlock: safe((error?: unknown) => {
      const cause: unknown = error instanceof Error ? error.cause : undefined;
      const shadow = isShadowIsolationError(error) ? error : isShadowIsolationError(cause) ? cause : undefined;
      if (shadow === undefined && error !== undefined) return;
      shadowBlocks.inc({ resource: label('resource', shadow?.resource ?? '') });
    }),
    onBreakerStateChange,
    onResilienceEvent,
    onOutlier,
    collectMiddlewareStats,
  };
}
