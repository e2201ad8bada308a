import { createPolicy, isInjectedFaultError } from '@dyeline/resilience';
import type { Backoff, BackoffOptions, Policy, ResilienceEventListener, RetryBudget } from '@dyeline/resilience';
import type { RoutePolicy } from '@dyeline/routing';
import type { PolicyRunner } from './route-policy-runner.js';

/** Options of {@link createRoutePolicyRunner}. */
export interface RoutePolicyRunnerOptions {
  /** Back-off between retries. Default Envoy's: 25 ms base, full jitter, 250 ms cap. */
  backoff?: Backoff | BackoffOptions;
  /** A retry budget shared by every routed call. None by default (Istio has none either). */
  budget?: RetryBudget;
  /** Random source in [0, 1) for fault percentages. Default `Math.random`. */
  random?: () => number;
  /** Timeouts, retries, budget and faults. */
  onEvent?: ResilienceEventListener;
}

/**
 * A {@link PolicyRunner} for `routedFetch` with Istio's semantics: the route's
 * `fault` (delay, then abort answered by a synthetic response with that
 * status), its `timeout` over the whole call (none unless set), and
 * `retries` (`attempts` retries on `retryOn`, whatever the method as in Istio, each try limited by
 * `perTryTimeout`, which defaults to the route timeout). Every limit also
 * stops at the request deadline, and a try that times out is aborted.
 *
 * @throws {TypeError} naming the bad option.
 * @throws {TimeoutError} (rejection) when the route timeout or the last try's limit passes.
 * @throws {DeadlineExceededError} (rejection) when the request deadline passes.
 */
export function createRoutePolicyRunner(options: RoutePolicyRunnerOptions = {}): PolicyRunner {
  for (const name of ['random', 'onEvent'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`createRoutePolicyRunner: ${name} must be a function`);
  }
  const { backoff, budget, onEvent } = options;
  const random = options.random ?? Math.random;
  // Compiled route policies are frozen and reused: build each resilience policy once.
  const cache = new WeakMap<RoutePolicy, Policy>();

  function build(route: RoutePolicy): Policy {
    const { retries, fault } = route;
    const perTry = retries.perTryTimeoutMs ?? route.timeoutMs;
    return createPolicy({
      ...(route.timeoutMs === undefined ? {} : { timeout: route.timeoutMs }),
      retry: { attempts: retries.attempts, retryOn: retries.retryOn, ...(perTry === undefined ? {} : { perTryTimeout: perTry }), ...(backoff === undefined ? {} : { backoff }), ...(budget === undefined ? {} : { budget }) },
      ...(fault === undefined
        ? {}
        : {
            fault: {
              random,
              ...(fault.delay === undefined ? {} : { delay: { ms: fault.delay.fixedDelayMs, percentage: fault.delay.percent } }),
              ...(fault.abort === undefined ? {} : { abort: { status: fault.abort.httpStatus, percentage: fault.abort.percent } }),
            },
          }),
      ...(onEvent === undefined ? {} : { onEvent }),
    });
  }

  return async (route, call) => {
    let policy = cache.get(route);
    if (policy === undefined) {
      policy = build(route);
      cache.set(route, policy);
    }
    let attempt = 0;
    try {
      // Each try gets the signal that the per-try and route timeouts abort.
      return await policy.execute((signal: AbortSignal) => call(++attempt, signal));
    } catch (error) {
      // Envoy answers an injected abort itself; so does this runner.
      if (isInjectedFaultError(error) && error.status !== undefined) return new Response('fault filter abort', { status: error.status, headers: { 'content-type': 'text/plain' } });
      throw error;
    }
  };
}
