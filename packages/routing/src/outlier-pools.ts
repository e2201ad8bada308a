import { createOutlierDetector } from '@dyeline/resilience';
import type { OutlierDetector } from '@dyeline/resilience';
import type { Instance } from './instance.js';
import type { OutlierDetectionSpec } from './rule-spec.js';

/** An ejection or return, as the router reports it. */
export interface OutlierEvent {
  readonly host: string;
  readonly subset: string | undefined;
  /** The instance id (`id`, else `address`). */
  readonly instanceId: string;
  readonly ejected: boolean;
  readonly durationMs?: number | undefined;
  readonly ejections?: number | undefined;
}

function sameSpec(a: OutlierDetectionSpec, b: OutlierDetectionSpec): boolean {
  return (
    a.consecutive5xxErrors === b.consecutive5xxErrors &&
    a.consecutiveGatewayErrors === b.consecutiveGatewayErrors &&
    a.intervalMs === b.intervalMs &&
    a.baseEjectionTimeMs === b.baseEjectionTimeMs &&
    a.maxEjectionPercent === b.maxEjectionPercent &&
    a.minHealthPercent === b.minHealthPercent
  );
}

/** The id outlier detection knows an instance by. @internal */
export function outlierId(instance: Instance): string {
  return instance.id ?? instance.address;
}

/**
 * One outlier detector per host/subset whose DestinationRule sets
 * `outlierDetection`. A detector outlives rule updates that leave its spec
 * unchanged (a weight shift must not forgive an ejected instance).
 * @internal
 */
export class OutlierPools {
  readonly #pools = new Map<string, { spec: OutlierDetectionSpec; detector: OutlierDetector }>();

  constructor(
    private readonly clock: (() => number) | undefined,
    private readonly onEvent: ((event: OutlierEvent) => void) | undefined,
  ) {}

  get(host: string, subset: string | undefined, spec: OutlierDetectionSpec | undefined): OutlierDetector | undefined {
    const key = subset === undefined ? host : `${host}\u0000${subset}`;
    if (spec === undefined) {
      this.#pools.delete(key);
      return undefined;
    }
    let entry = this.#pools.get(key);
    if (entry === undefined || !sameSpec(entry.spec, spec)) {
      const onEvent = this.onEvent;
      const detector = createOutlierDetector({
        consecutive5xxErrors: spec.consecutive5xxErrors,
        consecutiveGatewayErrors: spec.consecutiveGatewayErrors,
        interval: Math.max(1, spec.intervalMs),
        baseEjectionTime: spec.baseEjectionTimeMs,
        maxEjectionPercent: spec.maxEjectionPercent,
        minHealthPercent: spec.minHealthPercent,
        ...(this.clock === undefined ? {} : { clock: this.clock }),
        ...(onEvent === undefined ? {} : { onEject: (e: Omit<OutlierEvent, 'host' | 'subset'>) => onEvent({ host, subset, ...e }) }),
      });
      this.#pools.set(key, (entry = { spec, detector }));
    }
    return entry.detector;
  }
}
