import { DeadlineExceededError, currentDeadline } from '@dyeline/core';
import { BrokenCircuitError } from './broken-circuit-error.js';
import { Breaker } from './circuit-breaker.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { breakerConfig } from './breaker-config.js';
import type { CircuitBreakerOptions } from './breaker-config.js';
import { parseDuration } from './duration.js';
import { emit } from './events.js';
import type { ResilienceEventListener } from './events.js';
import { injectFault } from './fault.js';
import type { FaultInjector, FaultOptions } from './fault.js';
import { createRetryPolicy } from './retry.js';
import type { RetryCallOptions, RetryOptions, RetryPolicy } from './retry.js';
import { runTimed } from './timed-call.js';
import type { TimeoutListener, Work } from './timed-call.js';

/** Options of {@link createPolicy}; each part is optional. */
export interface PolicyOptions {
  /** Limit of the whole call, retries included (ms or `'2s'`). The request deadline applies anyway. */
  timeout?: number | string;
  /** A breaker (e.g. from a registry) or options for a new one. Every try is counted, timeouts as failures. */
  breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Retries; `perTryTimeout` limits each try. */
  retry?: RetryOptions;
  /** Fault injection, applied once, before anything else (Envoy's fault filter runs before the router). */
  fault?: FaultOptions | FaultInjector;
  /** Breaker state changes (of a breaker built here), rejections, timeouts, retries, budget, faults. */
  onEvent?: ResilienceEventListener;
}

/** Fault, timeout, retry and breaker composed once; run calls through `execute`. */
export interface Policy {
  /** The breaker, when one is configured. */
  readonly breaker: CircuitBreaker | undefined;
  /**
   * Runs `fn(signal)` under the policy. `fn` gets an AbortSignal only if it declares a parameter.
   * @throws {BrokenCircuitError} (rejection) when the breaker is open.
   * @throws {TimeoutError} (rejection) when `timeout` or `perTryTimeout` passes.
   * @throws {DeadlineExceededError} (rejection) when the request deadline passes.
   * @throws {InjectedFaultError} (rejection) on an injected abort.
   */
  execute<T>(fn: Work<T>, call?: RetryCallOptions): Promise<T>;
}

function isBreaker(value: unknown): value is CircuitBreaker {
  return typeof (value as CircuitBreaker).tryAcquire === 'function';
}

/**
 * Composes fault → timeout → retry → breaker → per-try timeout around
 * `fn(signal)`, like a mesh sidecar does around one upstream call. Without
 * retry and fault the hot path is one breaker check and one wheel entry — no
 * timer, no AbortController unless `fn` takes the signal.
 *
 * @throws {TypeError} naming the bad option.
 */
export function createPolicy(options: PolicyOptions = {}): Policy {
  const { onEvent } = options;
  const timeoutMs = options.timeout === undefined ? Number.POSITIVE_INFINITY : parseDuration(options.timeout, 'createPolicy: timeout');
  let breaker: CircuitBreaker | undefined;
  if (options.breaker !== undefined) {
    if (isBreaker(options.breaker)) breaker = options.breaker;
    else {
      const own = options.breaker;
      const chained = onEvent === undefined ? own.onStateChange : (change: Parameters<NonNullable<CircuitBreakerOptions['onStateChange']>>[0]) => {
        own.onStateChange?.(change);
        emit(onEvent, { type: 'breaker-state', ...change });
      };
      breaker = new Breaker(breakerConfig({ ...own, onStateChange: chained }));
    }
  }
  const fault = options.fault === undefined ? undefined : typeof (options.fault as FaultInjector).decide === 'function' ? (options.fault as FaultInjector) : injectFault({ onEvent, ...(options.fault as FaultOptions) });
  const perTryMs = options.retry?.perTryTimeout === undefined ? Number.POSITIVE_INFINITY : parseDuration(options.retry.perTryTimeout, 'createPolicy: retry.perTryTimeout');
  // The policy runs each try's timeout itself so the breaker sees timeouts (and frees half-open slots).
  const retry: RetryPolicy | undefined = options.retry === undefined ? undefined : createRetryPolicy({ onEvent, ...options.retry, perTryTimeout: undefined });
  const onTimeout: TimeoutListener | undefined = onEvent === undefined ? undefined : (error) => emit(onEvent, { type: 'timeout', timeoutMs: 'timeoutMs' in error ? error.timeoutMs : error.budgetMs, deadline: !('timeoutMs' in error) });

  function rejected<T>(b: CircuitBreaker): Promise<T> {
    const retryAfterMs = b.retryAfterMs();
    emit(onEvent, { type: 'breaker-rejected', name: b.name, retryAfterMs });
    return Promise.reject(new BrokenCircuitError(retryAfterMs));
  }

  /** One try: breaker admission, then the per-try (or whole-call) limit, outcome recorded. */
  function attempt<T>(fn: Work<T>, limitMs: number, signal: AbortSignal | undefined): Promise<T> {
    if (breaker === undefined) return runTimed(fn, limitMs, true, signal, onTimeout);
    // An expired deadline is the caller's problem: reject before the breaker counts anything.
    const deadline = currentDeadline();
    if (deadline !== undefined && deadline.expired) return Promise.reject(new DeadlineExceededError(deadline.budgetMs));
    if (!breaker.tryAcquire()) return rejected(breaker);
    return runTimed(fn, limitMs, true, signal, onTimeout, breaker);
  }

  function guarded<T>(fn: Work<T>, call: RetryCallOptions | undefined): Promise<T> {
    if (retry === undefined) return attempt(fn, timeoutMs, call?.signal);
    const tryOnce = (signal: AbortSignal | undefined): Promise<T> => attempt(fn, perTryMs, signal);
    if (timeoutMs === Number.POSITIVE_INFINITY) return retry.execute(tryOnce, call);
    // The whole-call timeout aborts the signal the tries and the back-off listen to.
    return runTimed((signal: AbortSignal) => retry.execute(tryOnce, { method: call?.method, signal }), timeoutMs, true, call?.signal, onTimeout);
  }

  return {
    breaker,
    execute(fn, call) {
      if (fault === undefined) return guarded(fn, call);
      return fault.execute(() => guarded(fn, call), call?.signal);
    },
  };
}
