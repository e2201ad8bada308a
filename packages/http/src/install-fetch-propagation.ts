import { createDispatchInterceptor } from './dispatch-interceptor.js';
import type { DispatchLike } from './dispatch-interceptor.js';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

// The slot Node's bundled undici and every undici package (v5–v7) read their
// global dispatcher from: sharing it is how `setGlobalDispatcher` from the
// undici package reaches Node's own `fetch`.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

interface ComposableDispatcher {
  dispatch: DispatchLike;
  compose?: (...interceptors: ((dispatch: DispatchLike) => DispatchLike)[]) => ComposableDispatcher;
}

/**
 * Makes the global `fetch` (and the undici package's `fetch`/`request` on the
 * global dispatcher) carry the current tag. It composes dyeline's interceptor
 * onto the global dispatcher in place now — Node's own Agent, or the one you
 * set with undici's `setGlobalDispatcher` before this call — so the undici
 * package is not needed. Returns a function that restores the previous
 * dispatcher (unless somebody replaced it since).
 *
 * @throws {TypeError} naming the option when the options are invalid, or when
 * the global dispatcher has no `compose` (undici older than 6.11).
 */
export function installFetchPropagation(options: PropagationOptions = {}): () => void {
  const propagator = createPropagator('installFetchPropagation', options);
  // Node creates its global Agent when its bundled undici loads; `fetch` loads
  // it lazily on the first call, the `Headers` global synchronously on access.
  void globalThis.Headers;
  const slot = globalThis as unknown as Record<symbol, ComposableDispatcher | undefined>;
  const previous = slot[GLOBAL_DISPATCHER];
  if (previous === undefined || typeof previous.compose !== 'function') {
    throw new TypeError(
      'installFetchPropagation: the global undici dispatcher has no compose() (undici < 6.11); ' +
        'compose dyelineInterceptor from @dyeline/http/undici into your own dispatcher instead',
    );
  }
  const installed = previous.compose(createDispatchInterceptor(propagator, 'fetch'));
  slot[GLOBAL_DISPATCHER] = installed;
  return () => {
    if (slot[GLOBAL_DISPATCHER] === installed) slot[GLOBAL_DISPATCHER] = previous;
  };
}
