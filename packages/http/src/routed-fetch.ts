import { EMPTY_TAG, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import type { Instance, RouteDecision, RouteRequest, Router } from '@dyeline/routing';
import { passThroughRunner } from './route-policy-runner.js';
import type { PolicyRunner } from './route-policy-runner.js';

/** Options of {@link routedFetch}. */
export interface RoutedFetchOptions {
  /** The router that chooses instances. */
  router: Router;
  /** The fetch to send with. Default `globalThis.fetch` (so a globally installed propagation dispatcher composes). */
  fetch?: typeof globalThis.fetch;
  /** Which hosts are logical and routed. Default: those the router handles (a VirtualService or instances). */
  routes?: (host: string) => boolean;
  /** Applies timeout, retries and fault around the tries. Default: none applied (see `resilienceRunner`). */
  runPolicy?: PolicyRunner;
  /** Called with each decision (debug logs use `router.explain` for the why). */
  onDecision?: (decision: RouteDecision) => void;
  /** Mirror failures and other problems that must not fail the main call. */
  onError?: (error: unknown) => void;
  /** Random source in [0, 1) for mirror percentages. Default `Math.random`. */
  random?: () => number;
}

function originOf(instance: Instance, protocol: string): string {
  return instance.address.includes('://') ? instance.address.replace(/\/+$/, '') : `${protocol}//${instance.address}`;
}

function bodyIsReplayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body) || body instanceof URLSearchParams || body instanceof Blob;
}

/**
 * A `fetch` that sends calls to logical hosts (`http://greeter/hello`) to the
 * instance the router chooses for the current tag: route match, sticky weights,
 * lane with fallback. Header edits of the route are applied, mirrors are fired
 * and forgotten (never delaying or failing the main call), and the route's
 * timeout, retries and fault are applied by `runPolicy`. Other hosts pass
 * through untouched. The tag itself is written by the propagation dispatcher
 * of `@dyeline/http`, which this composes with.
 *
 * @throws {TypeError} naming the option when options are malformed.
 */
export function routedFetch(options: RoutedFetchOptions): typeof globalThis.fetch {
  if (typeof options?.router?.decide !== 'function') throw new TypeError('routedFetch: router must be a Router');
  for (const name of ['fetch', 'routes', 'runPolicy', 'onDecision', 'onError', 'random'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new TypeError(`routedFetch: ${name} must be a function`);
  }
  const { router } = options;
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const routes = options.routes ?? ((host: string) => router.handles(host));
  const runPolicy = options.runPolicy ?? passThroughRunner;
  const random = options.random ?? Math.random;

  function fireMirrors(decision: RouteDecision, tag: Tag, url: URL, init: RequestInit, headers: Headers): void {
    for (const mirror of decision.policy.mirrors) {
      if (random() * 100 >= mirror.percent) continue;
      try {
        const instance = router.pick(mirror.host, mirror.subset, tag);
        const target = `${originOf(instance, url.protocol)}${url.pathname}${url.search}`;
        // Fire and forget: the response is discarded and errors only reported.
        baseFetch(target, { ...init, headers: new Headers(headers), signal: undefined }).then(
          (res) => res.body?.cancel().catch(() => undefined),
          (error: unknown) => options.onError?.(error),
        );
      } catch (error) {
        options.onError?.(error);
      }
    }
  }

  const fetchRouted = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? (input as string | URL));
    if (!routes(url.hostname)) return baseFetch(input, init);
    const merged: RequestInit = request === undefined ? { ...init } : { method: request.method, headers: request.headers, body: request.body, signal: request.signal, ...init };
    if (request !== undefined && merged.body !== undefined && merged.body !== null) (merged as { duplex?: string }).duplex = 'half';
    const headers = new Headers(merged.headers);
    const method = (merged.method ?? 'GET').toUpperCase();
    const tag = currentTag() ?? EMPTY_TAG;
    const view: RouteRequest = { host: url.hostname, path: `${url.pathname}${url.search}`, method, scheme: url.protocol.slice(0, -1), headers: (name) => headers.get(name) ?? undefined };
    const decision = router.decide(view, tag);
    options.onDecision?.(decision);
    const ops = decision.policy.requestHeaders;
    if (ops !== undefined) {
      for (const name of ops.remove) headers.delete(name);
      for (const [name, value] of Object.entries(ops.set)) headers.set(name, value);
      for (const [name, value] of Object.entries(ops.add)) headers.append(name, value);
    }
    if (decision.policy.mirrors.length > 0) {
      if (bodyIsReplayable(merged.body)) fireMirrors(decision, tag, url, merged, headers);
      else options.onError?.(new TypeError('routedFetch: a streamed body cannot be mirrored; mirror skipped'));
    }
    const callerSignal = merged.signal ?? undefined;
    return runPolicy(decision.policy, async (attempt, signal) => {
      // A retry picks again: the same subset and lane, possibly another instance.
      const instance = attempt === 1 ? decision.instance : router.pick(decision.host, decision.subset, tag, view);
      const end = router.begin(instance);
      try {
        const signals = [callerSignal, signal].filter((s): s is AbortSignal => s !== undefined && s !== null);
        return await baseFetch(`${originOf(instance, url.protocol)}${url.pathname}${url.search}`, {
          ...merged,
          headers,
          signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
        });
      } finally {
        end();
      }
    });
  };
  return fetchRouted as typeof globalThis.fetch;
}
