import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentTag, isInvalidTagError, isShadowIsolationError, isUntrustedTagError } from '@dyeline/core';
import { Counter, Gauge, register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

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
  /** For shadow guards: counts `shadow_blocks_total{resource}`. */
  onShadowBlock(error?: unknown): void;
  /** For breaker `onStateChange`: sets `breaker_state{breaker}` to 0 closed, 1 half-open, 2 open. */
  onBreakerStateChange(breaker: string, state: string): void;
}

function capper(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

function counter<T extends string>(registry: Registry, name: string, help: string, labelNames: readonly T[]): Counter<T> {
  // Reuse what an earlier call registered (hot reload, tests) instead of throwing.
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Creates dyeline's Prometheus metrics — requests by color, subset and
 * outcome; breaker state; shadow blocks; untrusted and invalid tag drops —
 * and the hooks that feed them. Hooks never throw.
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
  const breakerName = `${prefix}breaker_state`;
  const existingGauge = registry.getSingleMetric(breakerName);
  const breakers = existingGauge instanceof Gauge
    ? (existingGauge as Gauge<'breaker'>)
    : new Gauge({ name: breakerName, help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: ['breaker'], registers: [registry] });

  const color = capper(max);
  const subset = capper(max);
  const resource = capper(max);
  const breaker = capper(max);

  const safe = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
    try {
      fn(...args);
    } catch {
      // Metrics never break a request.
    }
  };

  const recordRequest = safe((outcome: string, labels?: { color?: string; subset?: string }) => {
    requests.inc({
      color: color(labels?.color ?? currentTag()?.color ?? ''),
      subset: subset(labels?.subset ?? ownSubset),
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
      shadowBlocks.inc({ resource: resource(isShadowIsolationError(error) ? error.resource : '') });
    }),
    onBreakerStateChange: safe((name: string, state: string) => {
      const value = (BREAKER_STATES as Record<string, number>)[state];
      if (value !== undefined) breakers.set({ breaker: breaker(String(name)) }, value);
    }),
  };
}
