import type { OutboundGuard } from './outbound-guard.js';

type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function target(input: string | URL | Request, init: RequestInit | undefined): { url: string | URL; method: string; headers: unknown } {
  if (typeof input === 'object' && 'url' in input && typeof input.url === 'string' && !(input instanceof URL)) {
    return { url: input.url, method: (init?.method ?? input.method).toUpperCase(), headers: init?.headers ?? input.headers };
  }
  return { url: input as string | URL, method: (init?.method ?? 'GET').toUpperCase(), headers: init?.headers };
}

/**
 * Returns `fetchImpl` (global `fetch`, undici's `fetch`, …) guarded by
 * `guard`: shadow calls to hosts not on the allow list resolve to the mock
 * `Response` or reject with `ShadowIsolationError` — in both cases
 * `fetchImpl` is not called and no connection is made. Production calls go
 * straight through.
 *
 * @throws {TypeError} when `fetchImpl` is not a function or `guard` not a guard.
 */
export function guardedFetch<F extends FetchLike>(fetchImpl: F, guard: OutboundGuard): F {
  if (typeof fetchImpl !== 'function') throw new TypeError('guardedFetch: fetchImpl must be a function such as fetch');
  if (typeof guard !== 'object' || guard === null || typeof guard.check !== 'function') {
    throw new TypeError('guardedFetch: guard must come from createOutboundGuard');
  }
  const guarded = function (this: unknown, input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (!guard.resolver.isShadow()) return fetchImpl.call(this, input, init);
    let answer: Response | undefined;
    try {
      const { url, method, headers } = target(input, init);
      answer = guard.check(url, { method, headers });
    } catch (error) {
      return Promise.reject(error);
    }
    return answer === undefined ? fetchImpl.call(this, input, init) : Promise.resolve(answer);
  };
  return guarded as F;
}
