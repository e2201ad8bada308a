import { ShadowIsolationError } from '@dyeline/core';
import type { OutboundGuard } from './outbound-guard.js';

const PASS = new Error('pass');

/** The part of undici's `DispatchOptions` the guard reads. */
interface DispatchOptionsLike {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: unknown;
}

/** Both undici handler styles: legacy (`onError`) and v7 (`onResponseError`). */
interface HandlerLike {
  onError?: (error: Error) => void;
  onResponseError?: (controller: unknown, error: Error) => void;
}

type DispatchLike<O, H> = (options: O, handler: H) => boolean;

// The v7 handler API hands a controller to every callback; the refusal
// happens before any request exists, so there is nothing to abort or pause.
const idleController = Object.freeze({
  aborted: false,
  paused: false,
  reason: null,
  abort() {},
  pause() {},
  resume() {},
});

/**
 * An undici interceptor (`agent.compose(outboundGuardInterceptor(guard))`, or
 * the global dispatcher, which Node's own `fetch` uses): shadow requests to
 * hosts not on the allow list fail with `ShadowIsolationError` before any
 * connection is made. It runs in the caller's context, before pool queueing.
 * Mocks are not served here (a dispatcher answers through handler callbacks,
 * not a `Response`): with a mock configured, use {@link guardedFetch}; here
 * the call is refused. Production requests pass untouched.
 *
 * @throws {TypeError} when `guard` is not a guard.
 */
export function outboundGuardInterceptor(guard: OutboundGuard) {
  if (typeof guard !== 'object' || guard === null || typeof guard.check !== 'function') {
    throw new TypeError('outboundGuardInterceptor: guard must come from createOutboundGuard');
  }
  return <O extends DispatchOptionsLike, H>(dispatch: DispatchLike<O, H>): DispatchLike<O, H> =>
    function dyelineOutboundGuard(options: O, handler: H): boolean {
      if (!guard.resolver.isShadow()) return dispatch(options, handler);
      let refusal: Error;
      try {
        const url = new URL(options.path, options.origin);
        const answer = guard.check(url, { method: options.method.toUpperCase(), headers: options.headers });
        if (answer === undefined) refusal = PASS;
        else {
          void answer.body?.cancel().catch(() => undefined);
          refusal = new ShadowIsolationError(`outbound ${url.host}`, `Shadow call to ${url.host} refused: an undici dispatcher cannot serve a mock; use guardedFetch`);
        }
      } catch (error) {
        refusal = error as Error;
      }
      if (refusal === PASS) return dispatch(options, handler);
      const h = handler as HandlerLike;
      if (typeof h.onResponseError === 'function') h.onResponseError(idleController, refusal);
      else h.onError?.(refusal);
      return true;
    };
}
