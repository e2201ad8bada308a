import type { Registry } from 'prom-client';
import { counter, gauge } from './metric-parts.js';

/**
 * Counters a middleware keeps on `.stats`, read at scrape time: those of
 * `concurrencyLimit()` (`inflight`, `queued`, `shed`) and of
 * `faultInjection()` (`injected`, `untrusted`, `undyed`, `malformed`) from
 * `@dyeline/koa` and `@dyeline/express`. Other fields are ignored.
 */
export interface MiddlewareStatsLike {
  readonly inflight?: number;
  readonly queued?: number;
  readonly shed?: number;
  readonly injected?: number;
  readonly untrusted?: number;
  readonly undyed?: number;
  readonly malformed?: number;
}

const FAULT_OUTCOMES = ['injected', 'untrusted', 'undyed', 'malformed'] as const;

// Sources live on the metric itself, under a process-wide key, so a second
// dyelineMetrics() on the same registry (or a second copy of this package)
// adds to the sources the registered collect callbacks read.
const SOURCES = Symbol.for('dyeline.observe.middleware-stats.v1');
type Sources = Map<string, { readonly stats: MiddlewareStatsLike }>;

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Registers the gauges and counters filled from middleware `.stats` when
 * Prometheus scrapes — nothing runs per request — and returns the function
 * that adds a source.
 * @internal
 */
export function statsCollector(
  registry: Registry,
  prefix: string,
  label: (name: string, value: string) => string,
): (name: string, source: { readonly stats: MiddlewareStatsLike }) => () => void {
  let sources: Sources = new Map();
  const each = (read: (name: string, stats: MiddlewareStatsLike) => void): void => {
    for (const [name, source] of sources) {
      try {
        read(name, source.stats);
      } catch {
        // A broken getter must not fail the scrape.
      }
    }
  };
  const inflight = gauge(registry, `${prefix}inflight_requests`, 'Requests holding a concurrencyLimit slot now.', ['middleware'], function collect() {
    this.reset();
    each((middleware, stats) => {
      const v = number(stats.inflight);
      if (v !== undefined) this.set({ middleware }, v);
    });
  });
  const existing = (inflight as unknown as Record<symbol, Sources | undefined>)[SOURCES];
  if (existing === undefined) Object.defineProperty(inflight, SOURCES, { value: sources });
  else sources = existing;
  gauge(registry, `${prefix}queued_requests`, 'Requests waiting for a concurrencyLimit slot now.', ['middleware'], function collect() {
    this.reset();
    each((middleware, stats) => {
      const v = number(stats.queued);
      if (v !== undefined) this.set({ middleware }, v);
    });
  });
  counter(registry, `${prefix}shed_requests_total`, 'Requests turned away with 503 by concurrencyLimit.', ['middleware'], function collect() {
    this.reset();
    each((middleware, stats) => {
      const v = number(stats.shed);
      if (v !== undefined) this.inc({ middleware }, v);
    });
  });
  counter(registry, `${prefix}fault_headers_total`, 'Fault headers seen by faultInjection: injected, or ignored as untrusted, undyed or malformed.', ['middleware', 'outcome'], function collect() {
    this.reset();
    each((middleware, stats) => {
      for (const outcome of FAULT_OUTCOMES) {
        const v = number(stats[outcome]);
        if (v !== undefined) this.inc({ middleware, outcome }, v);
      }
    });
  });

  return (name, source) => {
    if (typeof name !== 'string' || name === '') throw new TypeError('collectMiddlewareStats: name must be a non-empty string');
    if (source === null || (typeof source !== 'object' && typeof source !== 'function') || typeof source.stats !== 'object' || source.stats === null) {
      throw new TypeError('collectMiddlewareStats: source must have a stats object (a concurrencyLimit or faultInjection middleware)');
    }
    const key = label('middleware', name);
    sources.set(key, source);
    return () => {
      if (sources.get(key) === source) sources.delete(key);
    };
  };
}
