import type { ClientRequest } from 'node:http';
import type { CarrierAccessor } from '@dyeline/core';
import { PropagationError } from './propagation-error.js';
import type { Propagator } from './propagator.js';

const clientRequestAccessor: CarrierAccessor<ClientRequest> = {
  get(request, name) {
    const value = request.getHeader(name);
    if (value === undefined) return undefined;
    return Array.isArray(value) ? value.join(', ') : String(value);
  },
  set(request, name, value) {
    request.setHeader(name, value);
  },
};

/**
 * Writes the current tag and deadline onto a `ClientRequest` whose headers are not sent
 * yet. Requests built with raw array headers or `Expect` have sent theirs
 * already: they go out untagged and `onError` hears about it. @internal
 */
export function tagClientRequest(propagator: Propagator, client: string, request: ClientRequest): void {
  const context = propagator.pending();
  if (context === undefined) return;
  if (request.headersSent) {
    propagator.report(new PropagationError(client, 'headers already sent (array headers or Expect); request not tagged'));
    return;
  }
  propagator.write(context, request, clientRequestAccessor);
}
