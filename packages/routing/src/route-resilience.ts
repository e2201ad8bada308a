import { createPolicy } from '@dyeline/resilience';
import type { Backoff, BackoffOptions, Policy, ResilienceEventListener, RetryBudget } from '@dyeline/resilience';
import type { RoutePolicy } from './route-policy.js';

/** What a client adds to a route's own fault, timeout and retries. */
export interface RouteResilienceOptions {
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
 * The resilience policy a route asks for, with Istio's semantics: its
 * `fault` (delay, then an abort with the protocol's status: `httpStatus`
 * for HTTP, the gRPC code for gRPC), its `timeout` over the whole call, and
 * `retries` (`attempts` retries on `retryOn`, each try limited by
 * `perTryTimeout`, which defaults to the route timeout).
 */
function routeResiliencePolicy(route: RoutePolicy, protocol: 'http' | 'grpc', options: RouteResilienceOptions): Policy {
  const { retries, fault } = route;
  const { backoff, budget, onEvent } = options;
  const perTry = retries.perTryTimeoutMs ?? route.timeoutMs;
  const abort = fault?.abort;
  return createPolicy({
    ...(route.timeoutMs === undefined ? {} : { timeout: route.timeoutMs }),
    retry: { attempts: retries.attempts, retryOn: retries.retryOn, ...(perTry === undefined ? {} : { perTryTimeout: perTry }), ...(backoff === undefined ? {} : { backoff }), ...(budget === undefined ? {} : { budget }) },
    ...(fault === undefined
      ? {}
      : {
          fault: {
            random: options.random ?? Math.random,
            ...(fault.delay === undefined ? {} : { delay: { ms: fault.delay.fixedDelayMs, percentage: fault.delay.percent } }),
            ...(abort === undefined
              ? {}
              : { abort: protocol === 'http' ? { status: abort.httpStatus, percentage: abort.percent } : { grpcCode: abort.grpcCode, percentage: abort.percent } }),
          },
        }),
    ...(onEvent === undefined ? {} : { onEvent }),
  });
}

/**
 * Returns the resilience policy of a route (see above) for one protocol,
 * built once per compiled route (compiled routes are frozen and reused).
 * The HTTP and gRPC routed clients' runners both get theirs here.
 *
 * @throws {TypeError} naming `who` when `random` or `onEvent` is not a function.
 */
export function routeResiliencePolicies(who: string, protocol: 'http' | 'grpc', options: RouteResilienceOptions = {}): (route: RoutePolicy) => Policy {
  for (const name of ['random', 'onEvent'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`${who}: ${name} must be a function`);
  }
  const cache = new WeakMap<RoutePolicy, Policy>();
  return (route) => {
    let policy = cache.get(route);
    if (policy === undefined) {
      policy = routeResiliencePolicy(route, protocol, options);
      cache.set(route, policy);
    }
    return policy;
  };
}
