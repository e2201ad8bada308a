import type { DispatchLike } from './dispatch-interceptor.js';

/** Any undici dispatcher, structurally: all propagation needs is its `dispatch`. */
export interface DispatcherLike {
  dispatch: DispatchLike;
}

/** An interceptor that rewrites the dispatch options and hands the handler on as it came. */
export type OptionsInterceptor = (dispatch: DispatchLike) => DispatchLike;

/**
 * `dispatcher` with `interceptor` in front of its `dispatch`; everything else
 * (close, destroy, events, pool stats) is the dispatcher's own, through a
 * Proxy, as undici 7's `compose` returns. @internal
 *
 * Why not `compose`: undici 7's compose converts every request's handler to the
 * v7 callback API for each interceptor and back for the dispatcher (a
 * WrapHandler, an UnwrapHandler and a controller per request, the response
 * headers parsed into an object on the way), which cost 5–8 µs of CPU per
 * `fetch` on Node 24 (bench/README.md). Propagation only rewrites the
 * options, so the handler needs no conversion.
 */
export function interceptDispatcher<D extends object>(dispatcher: D, interceptor: OptionsInterceptor): D {
  const own = (dispatcher as unknown as DispatcherLike).dispatch;
  const dispatch = interceptor(own.bind(dispatcher));
  return new Proxy(dispatcher, {
    get: (target, key) => (key === 'dispatch' ? dispatch : Reflect.get(target, key)),
  });
}
