import { DeadlineExceededError, currentDeadline } from '@dyeline/core';
import type { Deadline } from '@dyeline/core';
import { TimeoutError } from './timeout-error.js';
import { timerWheel } from './timer-wheel.js';
import type { Bucket, WheelEntry } from './timer-wheel.js';

const wheel = timerWheel();

/** The work a timeout guards; it gets a signal only if it declares a parameter. */
export type Work<T> = (signal: AbortSignal) => T | PromiseLike<T>;

/** Called when a guarded call times out (before the caller sees the rejection). */
export type TimeoutListener = (error: TimeoutError | DeadlineExceededError) => void;

/** Sees the outcome of a guarded call, timeouts included (a breaker's `record`). */
export interface OutcomeObserver {
  record(value: unknown, isError: boolean): unknown;
}

/**
 * One guarded call: a wheel entry, the outer promise's settle functions and,
 * only when the work asked for it, an AbortController. Everything a call
 * needs lives on this one object, so the hot path allocates it, the outer
 * promise and two small callbacks — no timer, no controller, no listener.
 */
class TimedCall<T> implements WheelEntry {
  wheelNext: WheelEntry | null = null;
  wheelPrev: WheelEntry | null = null;
  wheelBucket: Bucket | null = null;
  resolve!: (value: T) => void;
  reject!: (reason: unknown) => void;
  controller: AbortController | undefined = undefined;
  linked: AbortSignal | undefined = undefined;
  settled = false;

  constructor(
    readonly limitMs: number,
    readonly deadline: Deadline | undefined,
    readonly onTimeout: TimeoutListener | undefined,
    readonly observer: OutcomeObserver | undefined,
  ) {}

  expire(): void {
    if (this.settled) return;
    const error = this.deadline !== undefined ? new DeadlineExceededError(this.deadline.budgetMs) : new TimeoutError(this.limitMs);
    this.fail(error, true);
  }

  ok(value: T): void {
    if (this.settled) return;
    this.settled = true;
    wheel.remove(this);
    if (this.linked !== undefined) this.unlink();
    this.observer?.record(value, false);
    this.resolve(value);
  }

  fail(error: unknown, abort: boolean): void {
    if (this.settled) return;
    this.settled = true;
    wheel.remove(this);
    if (this.linked !== undefined) this.unlink();
    // Abort before rejecting: the work stops even if the caller never awaits.
    if (abort && this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(error);
    if (abort && this.onTimeout !== undefined) {
      try {
        this.onTimeout(error as TimeoutError);
      } catch {
        // Observation only: the caller must still get its rejection.
      }
    }
    this.observer?.record(error, true);
    this.reject(error);
  }

  handleEvent(event: Event): void {
    // A linked parent signal aborted (caller gave up, or the request deadline was aborted by hand).
    const reason = (event.target as AbortSignal).reason as unknown;
    this.fail(reason, false);
    if (this.controller !== undefined && !this.controller.signal.aborted) this.controller.abort(reason);
  }

  link(signal: AbortSignal): void {
    this.linked = signal;
    signal.addEventListener('abort', this);
  }

  unlink(): void {
    this.linked?.removeEventListener('abort', this);
    this.linked = undefined;
  }
}

/**
 * Runs `work` with a limit of `limitMs` (Infinity: none) and the current
 * request deadline when `useDeadline`; the earlier wins. `parent` aborts the
 * call too. The shared core of {@link timeout}, retry and policies.
 * @internal
 */
export function runTimed<T>(
  work: Work<T>,
  limitMs: number,
  useDeadline: boolean,
  parent: AbortSignal | undefined,
  onTimeout: TimeoutListener | undefined,
  observer?: OutcomeObserver,
): Promise<T> {
  const deadline = useDeadline ? currentDeadline() : undefined;
  const now = performance.now();
  let expiresAt = now + limitMs;
  let byDeadline: Deadline | undefined;
  if (deadline !== undefined && deadline.expiresAt <= expiresAt) {
    if (deadline.expiresAt <= now || deadline.expired) {
      const error = new DeadlineExceededError(deadline.budgetMs);
      observer?.record(error, true);
      return Promise.reject(error);
    }
    expiresAt = deadline.expiresAt;
    byDeadline = deadline;
  }
  if (parent?.aborted === true) {
    observer?.record(parent.reason, true);
    return Promise.reject(parent.reason);
  }
  const call = new TimedCall<T>(limitMs, byDeadline, onTimeout, observer);
  const promise = new Promise<T>((resolve, reject) => {
    call.resolve = resolve;
    call.reject = reject;
  });
  // A manual abort of the request deadline (client gone) must stop the work too.
  if (parent !== undefined) call.link(parent);
  else if (deadline !== undefined && deadline.hasSignal && work.length > 0) call.link(deadline.signal);
  if (expiresAt !== Number.POSITIVE_INFINITY) wheel.add(call, expiresAt);
  let result: T | PromiseLike<T>;
  try {
    if (work.length > 0) {
      call.controller = new AbortController();
      result = work(call.controller.signal);
    } else {
      result = (work as () => T | PromiseLike<T>)();
    }
  } catch (error) {
    call.fail(error, false);
    return promise;
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<T>).then === 'function') {
    (result as PromiseLike<T>).then(
      (value) => call.ok(value),
      (error: unknown) => call.fail(error, false),
    );
  } else {
    call.ok(result as T);
  }
  return promise;
}
