import {
  incomingHeadersGetter,
  resolveServerOptions,
  runWithContext,
  serverRequestContext,
} from '@dyeline/core';
import type { IngressStats, ServerAdapterOptions } from '@dyeline/core';
import type { RequestHandler } from 'express';

/** Options of {@link dyeline}: the ingress options plus what Express needs. */
export interface ExpressDyelineOptions extends ServerAdapterOptions {
  /** Key of `res.locals` that receives the tag. Default `dyeline`. */
  localsKey?: string;
}

/** The middleware, with the ingress counters (requests, drops, rejections) for metrics. */
export type ExpressDyelineMiddleware = RequestHandler & { readonly stats: Readonly<IngressStats> };

/**
 * Express ingress middleware (Express 4 and 5): reads the tag from the
 * request, applies the trust policy, and runs the rest of the request inside
 * it, so `currentTag()` works anywhere below — also after body parsers and in
 * `req`/`res` listeners. The tag is also at `res.locals.dyeline`. A request
 * the policy rejects is answered `400 {"error": code}`.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyeline(options: ExpressDyelineOptions = {}): ExpressDyelineMiddleware {
  const settings = resolveServerOptions('dyeline (express)', options);
  const localsKey = options.localsKey ?? 'dyeline';
  if (typeof localsKey !== 'string' || localsKey === '') throw new TypeError('dyeline (express): options.localsKey must be a non-empty string');
  const { ingress, version, versionHeader, rejectStatus } = settings;
  const rejectBody = (code: string): string => JSON.stringify({ error: code });

  const middleware: RequestHandler = function dyelineMiddleware(req, res, next) {
    const result = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
    if (version !== undefined) res.setHeader(versionHeader, version);
    if (result.rejected !== undefined) {
      res.statusCode = rejectStatus;
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(rejectBody(result.rejected.code));
      return;
    }
    (res.locals as Record<string, unknown>)[localsKey] = result.tag;
    runWithContext(serverRequestContext(settings, result, req, res), next);
  };
  return Object.defineProperty(middleware, 'stats', { value: ingress.stats, enumerable: true }) as ExpressDyelineMiddleware;
}
