import { errorsAreFailures } from './classifiers.js';
import type { FailureClassifier } from './classifiers.js';
import { monotonicClock } from './clock.js';
import type { Clock } from './clock.js';
import { parseDuration } from './duration.js';

/** The states of a circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** A state change, given to `onStateChange`. */
export interface BreakerStateChange {
  /** The breaker's name (the registry key for keyed breakers). */
  readonly name: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  /** When opening: how long it stays open. */
  readonly openForMs?: number;
  /** Why it opened: `consecutive-failures`, `error-rate`, `trial-failed`, or `restored`/`manual`. */
  readonly reason: string;
}

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Shown in events and errors. Default `'breaker'`. */
  name?: string;
  /** Open after this many failures in a row. Default 5; `0` turns the trigger off. */
  consecutiveFailures?: number;
  /** Open when the failure ratio over a rolling window reaches `threshold`. Off unless set. */
  errorRate?: {
    /** Failure ratio in (0, 1] that opens the breaker, e.g. `0.5`. */
    threshold: number;
    /** Window length (ms or `'10s'`). Default 10 s. */
    window?: number | string;
    /** Slots the window is counted in. Default 10. */
    buckets?: number;
    /** Fewer calls than this in the window never open it. Default 20. */
    minimumVolume?: number;
  };
  /** Open → half-open backoff: `initial` × `multiplier`^(n-1) for the n-th opening in a row, at most `max`. */
  backoff?: { initial?: number | string; max?: number | string; multiplier?: number };
  /** Trial calls let through at once while half-open. Default 1. */
  halfOpenMaxCalls?: number;
  /** Successful trials that close the breaker. Default 1. */
  halfOpenSuccesses?: number;
  /** Which outcomes count as failures. Default: thrown errors. See `httpStatusClassifier`, `grpcCodeClassifier`. */
  isFailure?: FailureClassifier;
  /** Time source in ms. Default `performance.now`. */
  clock?: Clock;
  /** Called on every state change; must not throw (a throw goes to `onError`). */
  onStateChange?: (change: BreakerStateChange) => void;
  /** Errors thrown by listeners. Default: ignored. */
  onError?: (error: unknown) => void;
}

/** Options normalised once and shared by every breaker made from them (registries share one). */
export interface BreakerConfig {
  readonly name: string;
  readonly consecutiveFailures: number;
  readonly rate: { threshold: number; windowMs: number; buckets: number; minimumVolume: number } | undefined;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly halfOpenMaxCalls: number;
  readonly halfOpenSuccesses: number;
  readonly isFailure: FailureClassifier;
  readonly clock: Clock;
  readonly onStateChange: ((change: BreakerStateChange) => void) | undefined;
  readonly onError: ((error: unknown) => void) | undefined;
}

function count(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new TypeError(`createCircuitBreaker: ${name} must be an integer >= ${min}`);
  return value;
}

function fn<T>(value: T | undefined, name: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`createCircuitBreaker: ${name} must be a function`);
  return value;
}

/**
 * Validates breaker options once.
 * @throws {TypeError} naming the bad option.
 */
export function breakerConfig(options: CircuitBreakerOptions = {}): BreakerConfig {
  if (options === null || typeof options !== 'object') throw new TypeError('createCircuitBreaker: options must be an object');
  const rateIn = options.errorRate;
  let rate: BreakerConfig['rate'];
  if (rateIn !== undefined) {
    if (typeof rateIn.threshold !== 'number' || !(rateIn.threshold > 0 && rateIn.threshold <= 1)) {
      throw new TypeError('createCircuitBreaker: errorRate.threshold must be a number in (0, 1]');
    }
    rate = {
      threshold: rateIn.threshold,
      windowMs: parseDuration(rateIn.window ?? 10_000, 'createCircuitBreaker: errorRate.window'),
      buckets: count(rateIn.buckets, 'errorRate.buckets', 10, 1),
      minimumVolume: count(rateIn.minimumVolume, 'errorRate.minimumVolume', 20, 1),
    };
    if (!(rate.windowMs > 0)) throw new TypeError('createCircuitBreaker: errorRate.window must be > 0');
  }
  const initialMs = parseDuration(options.backoff?.initial ?? 1000, 'createCircuitBreaker: backoff.initial');
  const maxMs = parseDuration(options.backoff?.max ?? 30_000, 'createCircuitBreaker: backoff.max');
  const multiplier = options.backoff?.multiplier ?? 2;
  if (typeof multiplier !== 'number' || !(multiplier >= 1)) throw new TypeError('createCircuitBreaker: backoff.multiplier must be a number >= 1');
  if (maxMs < initialMs) throw new TypeError('createCircuitBreaker: backoff.max must be >= backoff.initial');
  return {
    name: options.name ?? 'breaker',
    consecutiveFailures: count(options.consecutiveFailures, 'consecutiveFailures', 5, 0),
    rate,
    initialMs,
    maxMs,
    multiplier,
    halfOpenMaxCalls: count(options.halfOpenMaxCalls, 'halfOpenMaxCalls', 1, 1),
    halfOpenSuccesses: count(options.halfOpenSuccesses, 'halfOpenSuccesses', 1, 1),
    isFailure: fn(options.isFailure, 'isFailure') ?? errorsAreFailures,
    clock: fn(options.clock, 'clock') ?? monotonicClock,
    onStateChange: fn(options.onStateChange, 'onStateChange'),
    onError: fn(options.onError, 'onError'),
  };
}
