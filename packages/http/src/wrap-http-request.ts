import type { ClientRequest } from 'node:http';
import { tagClientRequest } from './client-request.js';
import { createPropagator } from './propagator.js';
import type { PropagationOptions } from './propagator.js';

/** Any `request`-shaped function of `node:http` or `node:https` (or a library with the same contract). */
export type HttpRequestFunction = (...args: never[]) => ClientRequest;

/**
 * Returns `request` (e.g. `http.request`, `https.request`) wrapped so that every
 * request it creates carries the current tag. Same arguments, same result.
 * Don't wrap `http.get`: it ends the request before a wrapper could write —
 * call the wrapped `request` and `.end()` it.
 *
 * @throws {TypeError} when `request` is not a function or an option is invalid.
 */
export function wrapHttpRequest<F extends HttpRequestFunction>(request: F, options: PropagationOptions = {}): F {
  if (typeof request !== 'function') throw new TypeError('wrapHttpRequest: request must be a function such as http.request');
  const propagator = createPropagator('wrapHttpRequest', options);
  const wrapped = function (this: unknown, ...args: Parameters<F>): ClientRequest {
    const clientRequest = Reflect.apply(request, this, args) as ClientRequest;
    tagClientRequest(propagator, 'http', clientRequest);
    return clientRequest;
  };
  Object.defineProperty(wrapped, 'name', { value: request.name });
  return wrapped as unknown as F;
}
