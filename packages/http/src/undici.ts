import type { Dispatcher } from 'undici';
import { createDispatchInterceptor } from './dispatch-interceptor.js';
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
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineInterceptor(options: PropagationOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  return createDispatchInterceptor(createPropagator('dyelineInterceptor', options), 'undici');
}
