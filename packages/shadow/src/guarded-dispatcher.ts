import type { OutboundGuard } from './outbound-guard.js';
import { outboundGuardInterceptor } from './outbound-guard-undici.js';

type Dispatch = (options: never, handler: never) => boolean;

/**
 * `dispatcher` (an undici `Agent`, `Pool`, or the global dispatcher Node's
 * `fetch` uses) with the outbound guard in front of its `dispatch`: shadow
 * requests to hosts not on the allow list fail with `ShadowIsolationError`
 * before any connection is made, as with {@link outboundGuardInterceptor}.
 * Everything else (close, destroy, events, pool stats) is the dispatcher's
 * own, through a Proxy, as undici 7's `compose` returns.
 *
 * Prefer it to `dispatcher.compose(outboundGuardInterceptor(guard))` on
 * undici 7 (Node 22 and later): compose converts every request's handler to
 * the v7 handler API and back, several µs of CPU per call, for an
 * interceptor that passes production requests on untouched.
 *
 * @throws {TypeError} when `dispatcher` has no `dispatch` or `guard` is not a guard.
 */
export function withOutboundGuard<D extends object>(dispatcher: D, guard: OutboundGuard): D {
  if (typeof guard !== 'object' || guard === null || typeof guard.check !== 'function') {
    throw new TypeError('withOutboundGuard: guard must come from createOutboundGuard');
  }
  const own = (dispatcher as { dispatch?: unknown } | null)?.dispatch;
  if (typeof own !== 'function') throw new TypeError('withOutboundGuard: dispatcher must be an undici Dispatcher (it has no dispatch method)');
  const dispatch = outboundGuardInterceptor(guard)((own as Dispatch).bind(dispatcher) as never);
  return new Proxy(dispatcher, {
    get: (target, key) => (key === 'dispatch' ? dispatch : Reflect.get(target, key)),
  });
}
