import type { RouteRequest } from '@dyeline/routing';
import { applyHeaderOps, createRouteCaller, routingTag } from './route-call.js';
import type { RoutedClientOptions } from './route-call.js';

/** Options of {@link routedFetch}. */
export interface RoutedFetchOptions extends RoutedClientOptions {
  /** The fetch to send with. Default `globalThis.fetch` (so a globally installed propagation dispatcher composes). */
  fetch?: typeof globalThis.fetch;
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
  const caller = createRouteCaller('routedFetch', options, ['fetch']);
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  const fetchRouted = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? (input as string | URL));
    if (!caller.routes(url.hostname)) return baseFetch(input, init);
    const merged: RequestInit = request === undefined ? { ...init } : { method: request.method, headers: request.headers, body: request.body, signal: request.signal, ...init };
    if (request !== undefined && merged.body !== undefined && merged.body !== null) (merged as { duplex?: string }).duplex = 'half';
    const headers = new Headers(merged.headers);
    const method = (merged.method ?? 'GET').toUpperCase();
    const tag = routingTag();
    const pathAndQuery = `${url.pathname}${url.search}`;
    const view: RouteRequest = { host: url.hostname, path: pathAndQuery, method, scheme: url.protocol.slice(0, -1), headers: (name) => headers.get(name) ?? undefined };
    const decision = caller.decide(view, tag);
    applyHeaderOps(decision.policy.requestHeaders, { remove: (n) => headers.delete(n), set: (n, v) => headers.set(n, v), append: (n, v) => headers.append(n, v) });
    if (decision.policy.mirrors.length > 0) {
      if (bodyIsReplayable(merged.body)) {
        caller.mirror(decision, tag, url.protocol, async (origin) => {
          const res = await baseFetch(`${origin}${pathAndQuery}`, { ...merged, headers: new Headers(headers), signal: undefined });
          await res.body?.cancel();
        });
      } else {
        caller.report(new TypeError('routedFetch: a streamed body cannot be mirrored; mirror skipped'));
      }
    }
    const callerSignal = merged.signal ?? undefined;
    return caller.run(decision, tag, view, url.protocol, {
      send(origin, signal) {
        const signals = [callerSignal, signal].filter((s): s is AbortSignal => s !== undefined && s !== null);
        return baseFetch(`${origin}${pathAndQuery}`, {
          ...merged,
          headers,
          signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
        });
      },
      status: (res) => res.status,
      fromResponse: (res) => res,
    });
  };
  return fetchRouted as typeof globalThis.fetch;
}
