import { monotonicClock } from './clock.js';
import type { Clock } from './clock.js';
import { parseDuration } from './duration.js';

/** Options of {@link createOutlierDetector}: Istio's `outlierDetection`, same defaults. */
export interface OutlierDetectorOptions {
  /** Consecutive 5xx (or connection errors) that eject an instance. Default 5; 0 turns it off. */
  consecutive5xxErrors?: number;
  /** Consecutive 502/503/504 (or connection errors) that eject. Off unless set. */
  consecutiveGatewayErrors?: number;
  /** How often ejection counts decay for healthy instances (ms or `'10s'`). Default 10 s. */
  interval?: number | string;
  /** Ejection time; the n-th ejection in a row lasts n × this (ms or `'30s'`). Default 30 s. */
  baseEjectionTime?: number | string;
  /** Most instances of the pool ejected at once, in %; at least one may always be. Default 10. */
  maxEjectionPercent?: number;
  /** Below this % of healthy instances, `filter` returns all of them (panic). Default 0 = off. */
  minHealthPercent?: number;
  /** Time source. Default `performance.now`. */
  clock?: Clock;
  /** Called on each ejection. */
  onEject?: (event: { instanceId: string; ejected: boolean; durationMs?: number; ejections?: number }) => void;
}

/** How a call to an instance ended: `true` ok, `false` a connection error, or the HTTP status. */
export type OutlierOutcome = boolean | number;

/** Passive health checking of one pool (a host or subset). Reads the clock; owns no timer. */
export interface OutlierDetector {
  /** Records a call's outcome; may eject the instance. */
  record(instanceId: string, outcome: OutlierOutcome): void;
  /** True while the instance is ejected. */
  isEjected(instanceId: string): boolean;
  /** The instances not ejected (`id`, else `address`, is the instance id); usable as a router's instance filter. */
  filter<I extends { readonly id?: string | undefined; readonly address: string }>(instances: readonly I[]): readonly I[];
  /** Ids ejected now. */
  ejected(): string[];
}

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  ejectedUntil: number;
  // When the ejection count last decayed (or the host returned).
  settledAt: number;
}

function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`createOutlierDetector: ${name} must be an integer >= 0`);
  return value;
}

/**
 * Istio/Envoy `outlierDetection`: after `consecutive5xxErrors` failures in a
 * row an instance is ejected for `baseEjectionTime × ejections`; at most
 * `maxEjectionPercent` of the pool (but always at least one) is out at once;
 * an instance healthy for an `interval` after returning has its ejection count
 * decreased. All of it on clock reads — no timer.
 *
 * @throws {TypeError} naming the bad option.
 */
export function createOutlierDetector(options: OutlierDetectorOptions = {}): OutlierDetector {
  const consecutive5xx = nonNegativeInt(options.consecutive5xxErrors, 'consecutive5xxErrors', 5);
  const consecutiveGateway = nonNegativeInt(options.consecutiveGatewayErrors, 'consecutiveGatewayErrors', 0);
  const intervalMs = parseDuration(options.interval ?? 10_000, 'createOutlierDetector: interval');
  const baseMs = parseDuration(options.baseEjectionTime ?? 30_000, 'createOutlierDetector: baseEjectionTime');
  const maxPercent = options.maxEjectionPercent ?? 10;
  const minHealth = options.minHealthPercent ?? 0;
  for (const [name, v] of [['maxEjectionPercent', maxPercent], ['minHealthPercent', minHealth]] as const) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 100)) throw new TypeError(`createOutlierDetector: ${name} must be a number in [0, 100]`);
  }
  if (!(intervalMs > 0)) throw new TypeError('createOutlierDetector: interval must be > 0');
  const clock = options.clock ?? monotonicClock;
  const { onEject } = options;
  const hosts = new Map<string, HostState>();
  let poolSize = 0;

  function state(id: string): HostState {
    let s = hosts.get(id);
    if (s === undefined) {
      s = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, ejectedUntil: 0, settledAt: 0 };
      hosts.set(id, s);
    }
    return s;
  }

  function ejectedCount(now: number): number {
    let n = 0;
    for (const s of hosts.values()) if (s.ejectedUntil > now) n++;
    return n;
  }

  function decay(s: HostState, now: number): void {
    // Envoy lowers the multiplier at each interval the host spends un-ejected.
    if (s.ejections === 0 || s.ejectedUntil > now) return;
    const from = Math.max(s.settledAt, s.ejectedUntil);
    const steps = Math.floor((now - from) / intervalMs);
    if (steps > 0) {
      s.ejections = Math.max(0, s.ejections - steps);
      s.settledAt = from + steps * intervalMs;
    }
  }

  function eject(id: string, s: HostState, now: number): void {
    const pool = Math.max(poolSize, hosts.size);
    const current = ejectedCount(now);
    if (current > 0 && ((current + 1) * 100) / pool > maxPercent) return;
    decay(s, now);
    s.ejections++;
    const durationMs = baseMs * s.ejections;
    s.ejectedUntil = now + durationMs;
    s.settledAt = s.ejectedUntil;
    s.consecutive5xx = s.consecutiveGateway = 0;
    onEject?.({ instanceId: id, ejected: true, durationMs, ejections: s.ejections });
  }

  return {
    record(id, outcome) {
      const now = clock();
      const s = state(id);
      if (s.ejectedUntil > now) return;
      const status = typeof outcome === 'number' ? outcome : outcome ? 200 : 0;
      const is5xx = status === 0 || status >= 500;
      const isGateway = status === 0 || status === 502 || status === 503 || status === 504;
      s.consecutive5xx = is5xx ? s.consecutive5xx + 1 : 0;
      s.consecutiveGateway = isGateway ? s.consecutiveGateway + 1 : 0;
      if ((consecutive5xx > 0 && s.consecutive5xx >= consecutive5xx) || (consecutiveGateway > 0 && s.consecutiveGateway >= consecutiveGateway)) eject(id, s, now);
    },
    isEjected(id) {
      const s = hosts.get(id);
      return s !== undefined && s.ejectedUntil > clock();
    },
    filter(instances) {
      poolSize = instances.length;
      if (hosts.size === 0) return instances;
      const now = clock();
      const kept = instances.filter((i) => {
        const s = hosts.get(i.id ?? i.address);
        return s === undefined || s.ejectedUntil <= now;
      });
      if (kept.length === instances.length) return instances;
      if (minHealth > 0 && (kept.length * 100) / instances.length < minHealth) return instances;
      return kept;
    },
    ejected() {
      const now = clock();
      return [...hosts].filter(([, s]) => s.ejectedUntil > now).map(([id]) => id);
    },
  };
}
