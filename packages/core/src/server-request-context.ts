import type { IncomingMessage, ServerResponse } from 'node:http';
import { bindRequestEmitters } from './bind-request-emitters.js';
import { RequestContext, inheritableScope } from './context.js';
import { Deadline } from './deadline.js';
import type { IngressResult } from './ingress.js';
import { responseHeadersAccessor } from './server-options.js';
import type { ServerAdapterSettings } from './server-options.js';
import { EMPTY_TAG } from './tag.js';

// The context made last, for the result it was made for: most requests
// repeat the tag of the one before (ingress then hands over the same result
// object), and a context with no deadline and no companion is the same for
// all of them. It is immutable, so they may share it: one allocation fewer
// per request.
let lastResult: IngressResult | undefined;
let lastBindsEmitters = false;
let lastContext: RequestContext | undefined;

/**
 * The context an accepted node:http request runs in — the part of ingress
 * every server adapter (Koa, Express) does alike once the policy let the
 * request in: echo the tag if asked, take the caller's deadline unless a
 * timeout middleware that ran first set an earlier one, and bind the
 * request's emitters. A companion context in force (OpenTelemetry's server
 * span, with `DyelineContextManager`) is carried on.
 */
export function serverRequestContext(
  settings: ServerAdapterSettings,
  result: IngressResult,
  req: IncomingMessage,
  res: ServerResponse,
): RequestContext {
  const { tag } = result;
  if (settings.echo && tag !== EMPTY_TAG) settings.ingress.codec.inject(tag, res, responseHeadersAccessor);
  const parent = inheritableScope();
  let deadline = parent?.deadline;
  if (result.deadlineMs !== undefined && (deadline === undefined || deadline.remaining() > result.deadlineMs)) {
    const own = Deadline.after(result.deadlineMs);
    deadline = own;
    // A client that leaves early aborts the work done for it.
    res.once('close', () => (res.writableFinished ? own.dispose() : own.abort()));
  }
  const { bindEmitters } = settings;
  if (bindEmitters) bindRequestEmitters(req, res);
  const companion = parent?.companion;
  if (deadline !== undefined || companion !== undefined) return new RequestContext(tag, deadline, result, bindEmitters, companion);
  if (result !== lastResult || bindEmitters !== lastBindsEmitters || lastContext === undefined) {
    lastContext = new RequestContext(tag, undefined, result, bindEmitters);
    lastResult = result;
    lastBindsEmitters = bindEmitters;
  }
  return lastContext;
}
