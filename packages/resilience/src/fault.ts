import { DeadlineExceededError, currentDeadline } from '@dyeline/core';
import { parseDuration } from './duration.js';
import { emit } from './events.js';
import type { ResilienceEventListener } from './events.js';
import { InjectedFaultError } from './injected-fault-error.js';
import { sleep } from './sleep.js';

/** Options of {@link injectFault} (Istio's `fault`; `percentage` is 0–100, missing = no request). */
export interface FaultOptions {
  /** Wait before the call. */
  delay?: { ms: number | string; percentage?: number };
  /** Fail instead of calling: with an HTTP status, a gRPC code, or a given error. */
  abort?: { status?: number; grpcCode?: number; error?: unknown; percentage?: number };
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** `fault` events. */
  onEvent?: ResilienceEventListener;
}

/** What a fault decided for one call. */
export interface FaultDecision {
  /** Wait this long first. */
  readonly delayMs: number | undefined;
  /** Then fail with this instead of calling (an {@link InjectedFaultError} unless `abort.error` was given). */
  readonly abort: unknown;
}

/** A fault injector with its options validated once. */
export interface FaultInjector {
  /** Rolls the dice for one call; `undefined` when no fault applies. Emits the `fault` events. */
  decide(): FaultDecision | undefined;
  /**
   * Applies a decision around `fn`: waits (bounded by the request deadline and `signal`), then aborts or calls.
   * @throws {InjectedFaultError} (rejection) on an injected abort (or the configured error).
   * @throws {DeadlineExceededError} (rejection) when the deadline passes during the delay.
   */
  execute<T>(fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T>;
}

function percentage(value: unknown, name: string): number {
  // Istio: a missing percentage affects no request.
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) throw new TypeError(`injectFault: ${name}.percentage must be a number in [0, 100]`);
  return value;
}

/** @internal Waits `ms` within the request deadline; rejects with the deadline error when it runs out first. */
export async function delayWithinDeadline(ms: number, signal?: AbortSignal): Promise<void> {
  const deadline = currentDeadline();
  const left = deadline === undefined ? Number.POSITIVE_INFINITY : deadline.remaining();
  if (left < ms) {
    await sleep(left, signal);
    throw new DeadlineExceededError(deadline?.budgetMs ?? left);
  }
  await sleep(ms, signal);
}

/**
 * Fault injection with Istio semantics: `delay` waits before the call,
 * `abort` fails it instead, each for `percentage` % of calls (missing: none).
 * Meant for dyed test traffic: apply it only where the tag says so.
 *
 * @throws {TypeError} naming the bad option.
 */
export function injectFault(options: FaultOptions): FaultInjector {
  if (options === null || typeof options !== 'object') throw new TypeError('injectFault: options must be an object');
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new TypeError('injectFault: random must be a function');
  const delayMs = options.delay === undefined ? undefined : parseDuration(options.delay.ms, 'injectFault: delay.ms');
  const delayPct = percentage(options.delay?.percentage, 'delay');
  const abort = options.abort;
  const abortPct = percentage(abort?.percentage, 'abort');
  if (abort !== undefined) {
    if (abort.status !== undefined && !(Number.isInteger(abort.status) && abort.status >= 200 && abort.status <= 599)) throw new TypeError('injectFault: abort.status must be an HTTP status 200–599');
    if (abort.grpcCode !== undefined && !(Number.isInteger(abort.grpcCode) && abort.grpcCode >= 0 && abort.grpcCode <= 16)) throw new TypeError('injectFault: abort.grpcCode must be a gRPC code 0–16');
    if (abort.status === undefined && abort.grpcCode === undefined && abort.error === undefined) throw new TypeError('injectFault: abort needs status, grpcCode or error');
  }
  const { onEvent } = options;

  function decide(): FaultDecision | undefined {
    const delayed = delayMs !== undefined && delayPct > 0 && random() * 100 < delayPct;
    const aborted = abort !== undefined && abortPct > 0 && random() * 100 < abortPct;
    if (!delayed && !aborted) return undefined;
    if (delayed) emit(onEvent, { type: 'fault', kind: 'delay', delayMs });
    let error: unknown;
    if (aborted) {
      emit(onEvent, { type: 'fault', kind: 'abort', ...(abort.status === undefined ? {} : { status: abort.status }), ...(abort.grpcCode === undefined ? {} : { grpcCode: abort.grpcCode }) });
      error = abort.error ?? new InjectedFaultError({ status: abort.status, grpcCode: abort.grpcCode });
    }
    return { delayMs: delayed ? delayMs : undefined, abort: error };
  }

  async function apply<T>(decision: FaultDecision, fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (decision.delayMs !== undefined) await delayWithinDeadline(decision.delayMs, signal);
    if (decision.abort !== undefined) throw decision.abort;
    return fn();
  }

  return {
    decide,
    execute(fn, signal) {
      const decision = decide();
      if (decision === undefined) return Promise.resolve().then(fn);
      return apply(decision, fn, signal);
    },
  };
}
