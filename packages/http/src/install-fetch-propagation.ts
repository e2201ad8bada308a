import { createDispatchInterceptor } from './dispatch-interceptor.js';
import { interceptDispatcher } from './intercepted-dispatcher.js';
import type { DispatcherLike } from './intercepted-dispatcher.js';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

// The slot Node's bundled undici and every undici package (v5–v7) read their
// global dispatcher from: sharing it is how `setGlobalDispatcher` from the
// undici package reaches Node's own `fetch`.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/**
 * Makes the global `fetch` (and the undici package's `fetch`/`request` on the
 * global dispatcher) carry the current tag. It puts dyeline's interceptor in
 * front of the global dispatcher in place now — Node's own Agent, or the one
 * you set with undici's `setGlobalDispatcher` before this call — so the undici
 * package is not needed. Returns a function that restores the previous
 * dispatcher (unless somebody replaced it since).
 *
 * @throws {TypeError} naming the option when the options are invalid, or when
 * there is no global dispatcher with a `dispatch` method.
 */
export function installFetchPropagation(options: PropagationOptions = {}): () => void {
  const propagator = createPropagator('installFetchPropagation', options);
  // Node creates its global Agent when its bundled undici loads; `fetch` loads
  // it lazily on the first call, the `Headers` global synchronously on access.
  void globalThis.Headers;
  const slot = globalThis as unknown as Record<symbol, DispatcherLike | undefined>;
  const previous = slot[GLOBAL_DISPATCHER];
  if (typeof previous !== 'object' || previous === null || typeof previous.dispatch !== 'function') {
    throw new TypeError(
      'installFetchPropagation: no global undici dispatcher to put propagation in front of; ' +
        'use withPropagation from @dyeline/http/undici on a dispatcher of your own instead',
    );
  }
  const installed = interceptDispatcher(previous, createDispatchInterceptor(propagator, 'fetch'));
  slot[GLOBAL_DISPATCHER] = installed;
  return () => {
    if (slot[GLOBAL_DISPATCHER] === installed) slot[GLOBAL_DISPATCHER] = previous;
  };
}
