import { Deadline, currentDeadline, runWithDeadline } from '@dyeline/core';

/**
 * Milliseconds left before the current request's deadline; `Infinity` when
 * no deadline applies. Reads the clock, allocates nothing.
 */
export function remainingTime(): number {
  const deadline = currentDeadline();
  return deadline === undefined ? Number.POSITIVE_INFINITY : deadline.remaining();
}

/**
 * The current deadline's `AbortSignal`, created on first use (core's lazy
 * signal), or `undefined` when no deadline applies. Ask only when handing it
 * to something that takes a signal: creating one costs ~3 µs.
 */
export function deadlineSignal(): AbortSignal | undefined {
  return currentDeadline()?.signal;
}

/**
 * Runs `fn` under a deadline `ms` from now, or under the one in force when
 * that is earlier: a callee never gets more time than its caller. The new
 * deadline's timer (if its signal was ever asked for) is released when `fn`
 * settles.
 *
 * @throws {TypeError} when `ms` is not a finite number ≥ 0.
 */
export function withDeadline<R>(ms: number, fn: () => R): R {
  const deadline = Deadline.after(ms);
  let result: R;
  try {
    result = runWithDeadline(deadline, fn);
  } catch (error) {
    deadline.dispose();
    throw error;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { finally?: unknown }).finally === 'function') {
    return (result as unknown as Promise<unknown>).finally(() => deadline.dispose()) as R;
  }
  deadline.dispose();
  return result;
}
