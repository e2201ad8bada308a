import { createBreakerRegistry, createPolicy, httpStatusClassifier } from '@dyeline/resilience';
import type { BreakerRegistry, CircuitBreaker, CircuitBreakerOptions, Policy, ResilienceEventListener, RetryOptions } from '@dyeline/resilience';

/** Options of {@link resilientFetch}. */
export interface ResilientFetchOptions {
  /** The fetch to wrap. Default `globalThis.fetch` (read per call, so an installed propagation composes). */
  fetch?: typeof globalThis.fetch;
  /** Breaker options per upstream (origin); 5xx responses and errors are failures unless `isFailure` says otherwise. `false`: no breaker. */
  breaker?: CircuitBreakerOptions | false;
  /** A registry to take the per-origin breakers from (shared with other clients). Default: one of its own. */
  registry?: BreakerRegistry;
  /** Most upstreams with a breaker kept (own registry). Default 10,000. */
  maxUpstreams?: number;
  /** Retries; default Istio's (2 retries on connect-failure, refused-stream), idempotent methods only. `false`: none. */
  retry?: RetryOptions | false;
  /** Limit of the whole call, retries included (ms or `'2s'`). The request deadline applies anyway. */
  timeout?: number | string;
  /** Breaker, retry, timeout events. */
  onEvent?: ResilienceEventListener;
}

function bodyIsReplayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof URLSearchParams || body instanceof Blob || body instanceof FormData;
}

/**
 * A `fetch` with a circuit breaker per upstream origin (from a bounded
 * registry), retries and a timeout that aborts the request. An open breaker
 * rejects with `BrokenCircuitError` (its `retryAfterMs` says when to come
 * back) without sending anything; a 5xx counts as a failure. Requests with a
 * streamed body are never retried.
 *
 * @throws {TypeError} naming the bad option.
 * @throws {BrokenCircuitError} (rejection) when the origin's breaker is open.
 * @throws {TimeoutError} | {DeadlineExceededError} (rejection) when the limit or the request deadline passes.
 */
export function resilientFetch(options: ResilientFetchOptions = {}): typeof globalThis.fetch {
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('resilientFetch: fetch must be a function');
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const { onEvent } = options;
  const registry =
    options.breaker === false
      ? undefined
      : (options.registry ??
        createBreakerRegistry({
          maxKeys: options.maxUpstreams ?? 10_000,
          options: {
            isFailure: httpStatusClassifier(),
            ...options.breaker,
            ...(onEvent === undefined ? {} : { onStateChange: (change) => {
              options.breaker !== false && options.breaker?.onStateChange?.(change);
              onEvent({ type: 'breaker-state', ...change });
            } }),
          },
        }));
  const base = {
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    ...(onEvent === undefined ? {} : { onEvent }),
  };
  const retry = options.retry === false ? undefined : (options.retry ?? {});
  // Validate once, at build time: a policy with these options must construct.
  createPolicy({ ...base, ...(retry === undefined ? {} : { retry }) });
  const policies = new WeakMap<CircuitBreaker, { retrying: Policy; single: Policy }>();
  let noBreaker: { retrying: Policy; single: Policy } | undefined;
  const policiesFor = (breaker: CircuitBreaker | undefined): { retrying: Policy; single: Policy } => {
    const make = () => ({
      retrying: createPolicy({ ...base, ...(breaker === undefined ? {} : { breaker }), ...(retry === undefined ? {} : { retry }) }),
      single: createPolicy({ ...base, ...(breaker === undefined ? {} : { breaker }) }),
    });
    if (breaker === undefined) return (noBreaker ??= make());
    let p = policies.get(breaker);
    if (p === undefined) {
      p = make();
      policies.set(breaker, p);
    }
    return p;
  };

  const fetchResilient = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? (input as string | URL));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const body = init?.body !== undefined ? init.body : request?.body;
    const { retrying, single } = policiesFor(registry?.get(url.origin));
    const policy = bodyIsReplayable(body) ? retrying : single;
    const callerSignal = init?.signal ?? request?.signal ?? undefined;
    return policy.execute((signal: AbortSignal) => baseFetch(input, { ...init, signal }), { method, ...(callerSignal === undefined ? {} : { signal: callerSignal }) });
  };
  return fetchResilient as typeof globalThis.fetch;
}
