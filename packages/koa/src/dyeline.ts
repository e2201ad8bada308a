import {
  incomingHeadersGetter,
  resolveServerOptions,
  runWithContext,
  serverRequestContext,
} from '@dyeline/core';
import type { IngressStats, ServerAdapterOptions } from '@dyeline/core';
import type { Middleware } from 'koa';

/** Options of {@link dyeline}: the ingress options plus what Koa needs. */
export interface KoaDyelineOptions extends ServerAdapterOptions {
  /** Key of `ctx.state` that receives the tag. Default `dyeline`. */
  stateKey?: string;
}

/** The middleware, with the ingress counters (requests, drops, rejections) for metrics. */
export type KoaDyelineMiddleware = Middleware & { readonly stats: Readonly<IngressStats> };

/**
 * Koa ingress middleware (Koa 2 and 3, `@koa/router`): reads the tag from the
 * request, applies the trust policy, and runs the rest of the request inside
 * it, so `currentTag()` works anywhere below. The tag is also at
 * `ctx.state.dyeline`. A request the policy rejects is answered
 * `400 {"error": code}`.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyeline(options: KoaDyelineOptions = {}): KoaDyelineMiddleware {
  const settings = resolveServerOptions('dyeline (koa)', options);
  const stateKey = options.stateKey ?? 'dyeline';
  if (typeof stateKey !== 'string' || stateKey === '') throw new TypeError('dyeline (koa): options.stateKey must be a non-empty string');
  const { ingress, version, versionHeader, rejectStatus } = settings;

  const middleware: Middleware = function dyelineMiddleware(ctx, next) {
    const { req, res } = ctx;
    const result = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
    if (version !== undefined) res.setHeader(versionHeader, version);
    if (result.rejected !== undefined) {
      ctx.status = rejectStatus;
      ctx.body = { error: result.rejected.code };
      return Promise.resolve();
    }
    (ctx.state as Record<string, unknown>)[stateKey] = result.tag;
    return runWithContext(serverRequestContext(settings, result, req, res), next);
  };
  return Object.defineProperty(middleware, 'stats', { value: ingress.stats, enumerable: true }) as KoaDyelineMiddleware;
}
