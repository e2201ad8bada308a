import { runTimed } from './timed-call.js';
import type { TimeoutListener, Work } from './timed-call.js';

/** Options of {@link timeout} and {@link createTimeout}. */
export interface TimeoutOptions {
  /** The limit in milliseconds. */
  ms: number;
  /** Also stop at the current request deadline when it is earlier. Default `true`. */
  respectDeadline?: boolean;
  /** A caller's signal: its abort rejects the call with its reason and aborts the work. */
  signal?: AbortSignal;
  /** Called when the call times out, before the caller's promise rejects. */
  onTimeout?: TimeoutListener;
}

/** A reusable timeout whose options were checked once. */
export interface TimeoutPolicy {
  /** The limit in milliseconds. */
  readonly ms: number;
  /**
   * Runs `fn` under the limit.
   * @throws {TimeoutError} (rejection) when the limit passes first.
   * @throws {DeadlineExceededError} (rejection) when the request deadline passes first.
   */
  execute<T>(fn: Work<T>, signal?: AbortSignal): Promise<T>;
}

function normalise(limit: number | TimeoutOptions, where: string): Required<Omit<TimeoutOptions, 'signal' | 'onTimeout'>> & TimeoutOptions {
  const options = typeof limit === 'number' ? { ms: limit } : limit;
  if (typeof options?.ms !== 'number' || !(options.ms >= 0)) throw new TypeError(`${where}: ms must be a number >= 0, got ${String(options?.ms)}`);
  if (options.onTimeout !== undefined && typeof options.onTimeout !== 'function') throw new TypeError(`${where}: onTimeout must be a function`);
  return { ...options, respectDeadline: options.respectDeadline ?? true };
}

/**
 * Runs `fn`, rejecting with a {@link TimeoutError} after `ms` — or with core's
 * `DeadlineExceededError` when the current request deadline is earlier — and
 * aborting the signal passed to `fn`, so the work really stops (pass it to
 * fetch, a database query, a gRPC call).
 *
 * Cheap by construction: no `setTimeout` per call (one shared coarse timer
 * wheel, 1 ms resolution), and the AbortController is created only when `fn`
 * declares a parameter (`fn.length > 0`); `() => work()` costs none.
 *
 * @throws {TypeError} when `ms` is not a number ≥ 0.
 * @throws {TimeoutError} (rejection) when the limit passes first.
 * @throws {DeadlineExceededError} (rejection) when the request deadline passes first.
 */
export function timeout<T>(fn: Work<T>, limit: number | TimeoutOptions): Promise<T> {
  const options = typeof limit === 'number' && limit >= 0 ? undefined : normalise(limit, 'timeout');
  if (options === undefined) return runTimed(fn, limit as number, true, undefined, undefined);
  return runTimed(fn, options.ms, options.respectDeadline, options.signal, options.onTimeout);
}

/**
 * A reusable {@link timeout} with its options validated once.
 * @throws {TypeError} naming the bad option.
 */
export function createTimeout(limit: number | Omit<TimeoutOptions, 'signal'>): TimeoutPolicy {
  const { ms, respectDeadline, onTimeout } = normalise(limit, 'createTimeout');
  return {
    ms,
    execute: <T>(fn: Work<T>, signal?: AbortSignal) => runTimed(fn, ms, respectDeadline, signal, onTimeout),
  };
}

export type { TimeoutListener, Work };
