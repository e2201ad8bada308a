import { tagDispatchHeaders } from './dispatch-headers.js';
import type { Propagator } from './propagator.js';

/** The part of undici's `Dispatcher.DispatchOptions` propagation touches. */
export interface DispatchOptionsLike {
  headers?: unknown;
}

/** undici's `Dispatcher['dispatch']`, structurally, so the main entry needs no undici types. */
export type DispatchLike<O extends DispatchOptionsLike = DispatchOptionsLike, H = unknown> = (options: O, handler: H) => boolean;

/**
 * Builds a `compose` interceptor: it runs in the caller's async context (before
 * any pool queueing), so it reads the right tag even when the dispatch itself
 * happens later on another connection's drain. @internal
 */
export function createDispatchInterceptor(propagator: Propagator, client: string) {
  return <O extends DispatchOptionsLike, H>(dispatch: DispatchLike<O, H>): DispatchLike<O, H> =>
    function dyelineDispatch(options: O, handler: H): boolean {
      if (propagator.pending() === undefined) return dispatch(options, handler);
      const headers = tagDispatchHeaders(propagator, client, options.headers);
      return dispatch(headers === options.headers ? options : { ...options, headers }, handler);
    };
}
