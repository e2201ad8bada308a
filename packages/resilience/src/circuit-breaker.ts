import { BrokenCircuitError } from './broken-circuit-error.js';
import { breakerConfig } from './breaker-config.js';
import type { BreakerConfig, BreakerState, CircuitBreakerOptions } from './breaker-config.js';
import { RollingWindow } from './rolling-window.js';

/** A breaker's state as plain JSON; times are relative, so it survives a restart or another process. */
export interface BreakerSnapshot {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  /** Openings in a row without a close: drives the backoff. */
  readonly openCount: number;
  /** While open: ms until half-open. */
  readonly retryAfterMs: number;
}

/** A circuit breaker. Reads the clock on each call; owns no timer. */
export interface CircuitBreaker {
  readonly name: string;
  /** The state now (an open breaker whose backoff passed reports `half-open`). */
  readonly state: BreakerState;
  /**
   * Runs `fn` if the breaker lets it through and records its outcome.
   * @throws {BrokenCircuitError} (rejection) when open, or half-open with all trial slots taken.
   */
  execute<T>(fn: () => T | PromiseLike<T>): Promise<T>;
  /** For wrappers: true when a call may go now (takes a trial slot when half-open). Pair with onSuccess/onFailure. */
  tryAcquire(): boolean;
  /** Records an admitted call that succeeded. */
  onSuccess(): void;
  /** Records an admitted call that failed. */
  onFailure(): void;
  /** Records an admitted call's outcome through the `isFailure` classifier; returns whether it failed. */
  record(value: unknown, isError: boolean): boolean;
  /** Ms until a call may go; 0 when it may now. */
  retryAfterMs(): number;
  /** Opens the breaker by hand (for `backoff.initial`, or `ms`). */
  open(ms?: number): void;
  /** Closes the breaker by hand and forgets failures. */
  reset(): void;
  /** The state as plain JSON. */
  toJSON(): BreakerSnapshot;
  /** Takes over a snapshot (from `toJSON`, maybe of another process). */
  restore(snapshot: BreakerSnapshot): void;
}

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const NAMES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

/** @internal The breaker class; registries build it from a shared config. */
export class Breaker implements CircuitBreaker {
  #state = CLOSED;
  #consecutive = 0;
  #openCount = 0;
  #openUntil = 0;
  #trials = 0;
  #trialSuccesses = 0;
  readonly #window: RollingWindow | undefined;
  /** @internal second-chance bit of the registry's eviction. */
  used = true;

  constructor(
    readonly config: BreakerConfig,
    readonly name: string = config.name,
  ) {
    this.#window = config.rate === undefined ? undefined : new RollingWindow(config.rate.windowMs, config.rate.buckets);
  }

  get state(): BreakerState {
    if (this.#state === OPEN && this.config.clock() >= this.#openUntil) return 'half-open';
    return NAMES[this.#state] as BreakerState;
  }

  /** @internal true unless open (a registry keeps those). */
  get isClosed(): boolean {
    return this.#state === CLOSED;
  }

  tryAcquire(): boolean {
    if (this.#state === CLOSED) return true;
    if (this.#state === OPEN) {
      if (this.config.clock() < this.#openUntil) return false;
      this.#trials = 0;
      this.#trialSuccesses = 0;
      this.#transition(HALF_OPEN, 'backoff-elapsed', undefined);
    }
    if (this.#trials >= this.config.halfOpenMaxCalls) return false;
    this.#trials++;
    return true;
  }

  execute<T>(fn: () => T | PromiseLike<T>): Promise<T> {
    if (!this.tryAcquire()) return Promise.reject(new BrokenCircuitError(this.retryAfterMs()));
    let result: T | PromiseLike<T>;
    try {
      result = fn();
    } catch (error) {
      this.record(error, true);
      return Promise.reject(error);
    }
    if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<T>).then !== 'function') {
      this.record(result, false);
      return Promise.resolve(result as T);
    }
    return Promise.resolve(result).then(
      (value) => {
        this.record(value, false);
        return value;
      },
      (error: unknown) => {
        this.record(error, true);
        throw error;
      },
    );
  }

  record(value: unknown, isError: boolean): boolean {
    let failed: boolean;
    try {
      failed = this.config.isFailure(value, isError);
    } catch (error) {
      this.#report(error);
      failed = isError;
    }
    if (failed) this.onFailure();
    else this.onSuccess();
    return failed;
  }

  onSuccess(): void {
    const state = this.#state;
    if (state === CLOSED) {
      this.#consecutive = 0;
      this.#window?.record(this.config.clock(), false);
    } else if (state === HALF_OPEN && this.#trials > 0) {
      this.#trials--;
      if (++this.#trialSuccesses >= this.config.halfOpenSuccesses) this.#close('trial-succeeded');
    }
    // Open: a late success of a call admitted before opening proves nothing.
  }

  onFailure(): void {
    const state = this.#state;
    if (state === CLOSED) {
      this.#consecutive++;
      const { consecutiveFailures, rate } = this.config;
      if (consecutiveFailures > 0 && this.#consecutive >= consecutiveFailures) {
        this.#open('consecutive-failures', undefined);
        return;
      }
      const window = this.#window;
      if (window !== undefined && rate !== undefined) {
        window.record(this.config.clock(), true);
        if (window.calls >= rate.minimumVolume && window.failures >= rate.threshold * window.calls) this.#open('error-rate', undefined);
      }
    } else if (state === HALF_OPEN && this.#trials > 0) {
      this.#trials--;
      this.#open('trial-failed', undefined);
    }
  }

  retryAfterMs(): number {
    if (this.#state !== OPEN) return 0;
    const left = this.#openUntil - this.config.clock();
    return left > 0 ? left : 0;
  }

  open(ms?: number): void {
    this.#open('manual', ms);
  }

  reset(): void {
    this.#openCount = 0;
    this.#close('manual');
  }

  toJSON(): BreakerSnapshot {
    return { state: NAMES[this.#state] as BreakerState, consecutiveFailures: this.#consecutive, openCount: this.#openCount, retryAfterMs: this.retryAfterMs() };
  }

  restore(snapshot: BreakerSnapshot): void {
    const state = NAMES.indexOf(snapshot?.state);
    if (state < 0) throw new TypeError(`CircuitBreaker.restore: unknown state ${JSON.stringify(snapshot?.state)}`);
    this.#consecutive = Math.max(0, Math.floor(Number(snapshot.consecutiveFailures) || 0));
    this.#openCount = Math.max(0, Math.floor(Number(snapshot.openCount) || 0));
    this.#openUntil = this.config.clock() + Math.max(0, Number(snapshot.retryAfterMs) || 0);
    this.#trials = 0;
    this.#trialSuccesses = 0;
    this.#window?.reset();
    // A restored half-open breaker resumes as open with its backoff already over.
    this.#transition(state === HALF_OPEN ? OPEN : state, 'restored', state === CLOSED ? undefined : this.retryAfterMs());
  }

  #open(reason: string, ms: number | undefined): void {
    const { initialMs, maxMs, multiplier } = this.config;
    this.#openCount++;
    const openFor = ms ?? Math.min(maxMs, initialMs * multiplier ** (this.#openCount - 1));
    this.#openUntil = this.config.clock() + openFor;
    this.#consecutive = 0;
    this.#trials = 0;
    this.#window?.reset();
    this.#transition(OPEN, reason, openFor);
  }

  #close(reason: string): void {
    this.#consecutive = 0;
    this.#trials = 0;
    this.#openCount = 0;
    this.#window?.reset();
    this.#transition(CLOSED, reason, undefined);
  }

  #transition(to: number, reason: string, openForMs: number | undefined): void {
    const from = this.#state;
    this.#state = to;
    const listener = this.config.onStateChange;
    if (listener === undefined || (from === to && to !== OPEN)) return;
    try {
      listener({ name: this.name, from: NAMES[from] as BreakerState, to: NAMES[to] as BreakerState, reason, ...(openForMs === undefined ? {} : { openForMs }) });
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    try {
      this.config.onError?.(error);
    } catch {
      // A broken error hook must not break the call either.
    }
  }
}

/**
 * A circuit breaker: opens after `consecutiveFailures` failures in a row
 * and/or when the failure ratio over a rolling window reaches
 * `errorRate.threshold` (with a minimum volume); after an exponential
 * backoff it lets `halfOpenMaxCalls` trial calls through, closing on success
 * and reopening (longer) on failure. No timer: the clock is read per call.
 *
 * @throws {TypeError} naming the bad option.
 */
export function createCircuitBreaker(options?: CircuitBreakerOptions): CircuitBreaker {
  return new Breaker(breakerConfig(options));
}
