import { isInjectedFaultError } from '@dyeline/resilience';
import { routeResiliencePolicies } from '@dyeline/routing';
import type { RouteResilienceOptions } from '@dyeline/routing';
import type { PolicyRunner } from './route-policy-runner.js';

/** Options of {@link createRoutePolicyRunner}: back-off, retry budget, random source, events. */
export type RoutePolicyRunnerOptions = RouteResilienceOptions;

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
  const policyOf = routeResiliencePolicies('createRoutePolicyRunner', 'http', options);
  return async (route, call) => {
    const policy = policyOf(route);
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
