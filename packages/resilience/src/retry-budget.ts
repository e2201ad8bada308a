import { monotonicClock } from './clock.js';
import type { Clock } from './clock.js';
import { parseDuration } from './duration.js';
import { RollingWindow } from './rolling-window.js';

/** Options of {@link createRetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per request over the window, e.g. `0.2` = 20 % extra load at most. Default 0.2. */
  ratio?: number;
  /** Retries always allowed per second, for clients with little traffic. Default 10. */
  minPerSecond?: number;
  /** How long a deposit counts (ms or `'10s'`). Default 10 s. */
  ttl?: number | string;
  /** Time source. Default `performance.now`. */
  clock?: Clock;
}

/**
 * A token retry budget (Finagle's `RetryBudget`, Envoy's `retry_budget` in
 * spirit): every request deposits `ratio` of a token, every retry withdraws
 * one, over a rolling `ttl`; `minPerSecond × ttl` tokens are always there.
 * Shared by many calls, it caps the extra load retries add when an upstream
 * is failing, however many layers retry.
 */
export interface RetryBudget {
  /** Counts one request (call once per logical call, not per try). */
  deposit(): void;
  /** Takes a token for one retry; false when the budget is spent. */
  tryWithdraw(): boolean;
  /** Retries left in the window now. */
  readonly balance: number;
}

/**
 * Builds a {@link RetryBudget}. No timer: counts live in a bucketed window read against the clock.
 * @throws {TypeError} naming the bad option.
 */
export function createRetryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const minPerSecond = options.minPerSecond ?? 10;
  const ttlMs = parseDuration(options.ttl ?? 10_000, 'createRetryBudget: ttl');
  const clock = options.clock ?? monotonicClock;
  if (typeof ratio !== 'number' || !(ratio >= 0)) throw new TypeError('createRetryBudget: ratio must be a number >= 0');
  if (typeof minPerSecond !== 'number' || !(minPerSecond >= 0)) throw new TypeError('createRetryBudget: minPerSecond must be a number >= 0');
  if (!(ttlMs > 0)) throw new TypeError('createRetryBudget: ttl must be > 0');
  const reserve = (minPerSecond * ttlMs) / 1000;
  const requests = new RollingWindow(ttlMs, 10);
  const retries = new RollingWindow(ttlMs, 10);
  const balance = (now: number): number => {
    requests.refresh(now);
    retries.refresh(now);
    return reserve + ratio * requests.calls - retries.calls;
  };
  return {
    deposit: () => requests.record(clock(), false),
    tryWithdraw() {
      const now = clock();
      if (balance(now) < 1) return false;
      retries.record(now, false);
      return true;
    },
    get balance() {
      return Math.max(0, Math.floor(balance(clock())));
    },
  };
}
