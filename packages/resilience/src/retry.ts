import { isDeadlineExceededError } from '@dyeline/core';
import { exponentialBackoff } from './backoff.js';
import type { Backoff, BackoffOptions } from './backoff.js';
import { remainingTime } from './deadline.js';
import { parseDuration } from './duration.js';
import { emit } from './events.js';
import type { ResilienceEventListener } from './events.js';
import { ISTIO_DEFAULT_RETRY_ON, parseRetryOn } from './retry-on.js';
import type { RetryCondition } from './retry-on.js';
import type { RetryBudget } from './retry-budget.js';
import { sleep } from './sleep.js';
import { runTimed } from './timed-call.js';

/** Methods retried by default: those HTTP calls idempotent (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS: readonly string[] = ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'];

/** One try: `signal` aborts on the per-try timeout or the caller's abort; `attempt` counts from 1. */
export type RetriedWork<T> = (signal: AbortSignal | undefined, attempt: number) => T | PromiseLike<T>;

/** Options of {@link createRetryPolicy} and {@link retry}. */
export interface RetryOptions {
  /** Retries after the first try (Istio `attempts`). Default 2. */
  attempts?: number;
  /** Limit of each try (ms or `'1s'`); none by default. The request deadline bounds every try anyway. */
  perTryTimeout?: number | string;
  /** Istio `retryOn` string/list, or a function. Default Istio's `connect-failure,refused-stream,unavailable,cancelled`. */
  retryOn?: string | readonly string[] | RetryCondition;
  /** Back-off between tries: a function of the retry number, or options of the exponential full-jitter one. */
  backoff?: Backoff | BackoffOptions;
  /** A shared budget that caps retries across calls. */
  budget?: RetryBudget;
  /** Methods retried on every condition. Default {@link IDEMPOTENT_METHODS}; others only when the request provably never left (connect-failure, refused-stream). */
  methods?: readonly string[];
  /** A result that is retried is discarded first: default cancels a fetch `Response` body. */
  discard?: (value: unknown) => void;
  /** Retry, timeout and budget events. */
  onEvent?: ResilienceEventListener;
}

/** Per-call context of {@link RetryPolicy.execute}. */
export interface RetryCallOptions {
  /** The request method; non-idempotent methods are retried only when nothing was sent. */
  method?: string;
  /** The caller's signal: aborting it stops tries and back-off. */
  signal?: AbortSignal;
}

/** A retry policy with its options validated once. */
export interface RetryPolicy {
  /**
   * Runs `fn` until it succeeds, the outcome is not retriable, the attempts or the budget run out,
   * or the next try would start past the request deadline. Resolves with the last result or rejects with the last error.
   */
  execute<T>(fn: RetriedWork<T>, call?: RetryCallOptions): Promise<T>;
}

function discardBody(value: unknown): void {
  const body = (value as { body?: { cancel?: () => Promise<void> } } | null)?.body;
  if (body !== null && typeof body === 'object' && typeof body.cancel === 'function') body.cancel().catch(() => undefined);
}

const NOTHING_SENT = new Set(['connect-failure', 'refused-stream']);

/**
 * Builds a {@link RetryPolicy}.
 * @throws {TypeError} naming the bad option.
 */
export function createRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const attempts = options.attempts ?? 2;
  if (!Number.isInteger(attempts) || attempts < 0) throw new TypeError('createRetryPolicy: attempts must be an integer >= 0');
  const perTryMs = options.perTryTimeout === undefined ? undefined : parseDuration(options.perTryTimeout, 'createRetryPolicy: perTryTimeout');
  const condition = typeof options.retryOn === 'function' ? options.retryOn : parseRetryOn(options.retryOn ?? ISTIO_DEFAULT_RETRY_ON);
  const backoff = typeof options.backoff === 'function' ? options.backoff : exponentialBackoff(options.backoff);
  const methods = new Set((options.methods ?? IDEMPOTENT_METHODS).map((m) => m.toUpperCase()));
  const discard = options.discard ?? discardBody;
  const { budget, onEvent } = options;
  const onTimeout = onEvent === undefined ? undefined : (error: { timeoutMs?: number; budgetMs?: number }) => emit(onEvent, { type: 'timeout', timeoutMs: error.timeoutMs ?? error.budgetMs ?? 0, deadline: error.timeoutMs === undefined });

  async function execute<T>(fn: RetriedWork<T>, call: RetryCallOptions = {}): Promise<T> {
    budget?.deposit();
    const idempotent = call.method === undefined || methods.has(call.method.toUpperCase());
    const wantsSignal = fn.length > 0;
    for (let attempt = 1; ; attempt++) {
      let value: unknown;
      let isError = false;
      try {
        if (perTryMs !== undefined) {
          value = await runTimed(wantsSignal ? (signal: AbortSignal) => fn(signal, attempt) : () => fn(undefined, attempt), perTryMs, true, call.signal, onTimeout);
        } else {
          value = await fn(call.signal, attempt);
        }
      } catch (error) {
        value = error;
        isError = true;
      }
      const reason = attempt > attempts || (isError && isDeadlineExceededError(value)) || call.signal?.aborted === true ? undefined : condition(value, isError);
      if (reason === undefined || (!idempotent && !NOTHING_SENT.has(reason))) {
        if (isError) throw value;
        return value as T;
      }
      const delayMs = backoff(attempt);
      // Never start a try that could not finish before the caller's deadline.
      if (remainingTime() <= delayMs) {
        if (isError) throw value;
        return value as T;
      }
      if (budget !== undefined && !budget.tryWithdraw()) {
        emit(onEvent, { type: 'retry-budget-exhausted', attempt, reason });
        if (isError) throw value;
        return value as T;
      }
      if (!isError) discard(value);
      emit(onEvent, { type: 'retry', attempt, delayMs, reason });
      if (delayMs > 0) await sleep(delayMs, call.signal);
    }
  }

  return { execute };
}

/**
 * Runs `fn` with retries (see {@link createRetryPolicy}); build the policy
 * once with `createRetryPolicy` on hot paths.
 * @throws {TypeError} naming the bad option.
 */
export function retry<T>(fn: RetriedWork<T>, options?: RetryOptions & RetryCallOptions): Promise<T> {
  return createRetryPolicy(options).execute(fn, options);
}
