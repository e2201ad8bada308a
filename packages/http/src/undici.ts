import type { Dispatcher } from 'undici';
import { createDispatchInterceptor } from './dispatch-interceptor.js';
import { interceptDispatcher } from './intercepted-dispatcher.js';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

export type { PropagationOptions } from './propagator.js';

/**
 * An undici interceptor that writes the current tag, and the remaining time
 * of `currentDeadline()`, onto every request of a dispatcher:
 * `new Agent().compose(dyelineInterceptor())`. Calls made outside any tag and
 * deadline are left untouched; headers the caller set win unless `overwrite`.
 *
 * It runs when the request is dispatched, in the caller's async context, before
 * a pool can queue it — so a saturated pool never mixes up tags.
 *
 * On undici 7 prefer {@link withPropagation}: `compose` converts every
 * request's handler to the v7 callback API and back, which this interceptor
 * does not need.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineInterceptor(options: PropagationOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  return createDispatchInterceptor(createPropagator('dyelineInterceptor', options), 'undici');
}

/**
 * `dispatcher` with the current tag and deadline written onto every request,
 * as `dispatcher.compose(dyelineInterceptor(options))` does — without the
 * handler conversion undici 7's `compose` adds to every request (5–8 µs of CPU
 * per `fetch` on Node 24). Close, destroy, events and stats are the
 * dispatcher's own: `withPropagation(new Agent())` or
 * `setGlobalDispatcher(withPropagation(new Agent({ connections: 64 })))`.
 *
 * @throws {TypeError} when `dispatcher` has no `dispatch` method, or naming
 * the option when the options are invalid.
 */
export function withPropagation<D extends Dispatcher>(dispatcher: D, options: PropagationOptions = {}): D {
  if (typeof dispatcher !== 'object' || dispatcher === null || typeof dispatcher.dispatch !== 'function') {
    throw new TypeError('withPropagation: dispatcher must be an undici Dispatcher (an object with a dispatch method)');
  }
  return interceptDispatcher(dispatcher, createDispatchInterceptor(createPropagator('withPropagation', options), 'undici'));
}
