import { Counter, Gauge } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, Registry } from 'prom-client';

/**
 * Bounds the values of each label: the first `max` distinct values of a label
 * are kept, later ones become `other`, so hostile colors or thousands of keyed
 * breakers cannot blow up the series count. @internal
 */
export function labelCapper(max: number): (label: string, value: string) => string {
  const seen = new Map<string, Set<string>>();
  return (label, value) => {
    let values = seen.get(label);
    if (values === undefined) seen.set(label, (values = new Set()));
    if (values.has(value)) return value;
    if (values.size >= max) return 'other';
    values.add(value);
    return value;
  };
}

/** A counter of `registry`, reusing one an earlier call registered (hot reload, tests) instead of throwing. @internal */
export function counter<T extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly T[],
  collect?: CounterConfiguration<T>['collect'],
): Counter<T> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<T>;
  return new Counter({ name, help, labelNames, registers: [registry], ...(collect === undefined ? {} : { collect }) });
}

/** A gauge of `registry`, reused like {@link counter}. @internal */
export function gauge<T extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly T[],
  collect?: GaugeConfiguration<T>['collect'],
): Gauge<T> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing as Gauge<T>;
  return new Gauge({ name, help, labelNames, registers: [registry], ...(collect === undefined ? {} : { collect }) });
}

/** Wraps a hook so that it never throws: metrics never break a request. @internal */
export function safe<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch {
      // Observation only.
    }
  };
}
