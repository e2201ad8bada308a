// The edge gateway of the demo (Koa + @koa/router): dyeline ingress with the
// edge trust policy, then `GET /hello` is forwarded to the greeter version the
// tag asks for. The choice is one small function — the seam where rule-based
// routing (@dyeline/routing, the Istio YAML in ./istio) plugs in.
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { EMPTY_TAG, currentTag } from '@dyeline/core';
import type { IngressStats, Tag } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import type { KoaDyelineOptions } from '@dyeline/koa';
import type { GreeterReply } from './greeter.js';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';

/** Picks the greeter version (a key of `upstreams`) for a tag. */
export type VersionPicker = (tag: Tag) => string;

/**
 * The explicit choice of the demo, the same as Istio's helloworld rules:
 * `user: admin`, `x-color: v2` and `x-canary: true` go to v2; everything else
 * (other colors included: there is no such lane, so the base lane) to v1.
 */
export const pickByTag: VersionPicker = (tag) =>
  tag.user === 'admin' || tag.color === 'v2' || tag.extra['x-canary'] === 'true' ? 'v2' : 'v1';

/** Options of {@link createGatewayApp}. */
export interface GatewayOptions {
  /** Base URL per greeter version: `{ v1: 'http://…', v2: 'http://…' }`. */
  upstreams: Readonly<Record<string, string>>;
  /** Ingress options (trust policy, wire names). */
  ingress: KoaDyelineOptions;
  /** The routing seam. Default {@link pickByTag}. */
  pick?: VersionPicker;
}

/** What the gateway answers: the greeter's reply plus where it was routed. */
export interface GatewayReply extends GreeterReply {
  routedTo: string;
  /** The greeter's `Service-Version` header. */
  serviceVersion: string | null;
}

/** The gateway app and its ingress counters (drops of untrusted fields, refused signatures). */
export interface Gateway {
  app: Koa;
  stats: Readonly<IngressStats>;
}

/**
 * Builds the gateway.
 *
 * @throws {TypeError} when `upstreams` is empty or `pick` is not a function, or the ingress options are invalid.
 */
export function createGatewayApp(options: GatewayOptions): Gateway {
  const { upstreams, pick = pickByTag } = options;
  if (typeof upstreams !== 'object' || upstreams === null || Object.keys(upstreams).length === 0) {
    throw new TypeError('createGatewayApp: options.upstreams must name at least one version');
  }
  if (typeof pick !== 'function') throw new TypeError('createGatewayApp: options.pick must be a function');
  const ingress = dyeline(options.ingress);
  const router = new Router();
  router.get('/hello', async (ctx) => {
    const routedTo = pick(currentTag() ?? EMPTY_TAG);
    const upstream = upstreams[routedTo];
    if (upstream === undefined) ctx.throw(502, `no upstream for version ${routedTo}`);
    const answer = await fetch(`${upstream}/hello`);
    if (!answer.ok) ctx.throw(502, `greeter ${routedTo} answered ${answer.status}`);
    const serviceVersion = answer.headers.get('service-version');
    const reply: GatewayReply = { ...((await answer.json()) as GreeterReply), routedTo, serviceVersion };
    if (serviceVersion !== null) ctx.set('service-version', serviceVersion);
    ctx.body = reply;
  });
  const app = new Koa();
  app.use(ingress);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, stats: ingress.stats };
}

/** Starts the gateway on loopback, port 0. */
export async function startGateway(options: GatewayOptions): Promise<RunningService & { stats: Readonly<IngressStats> }> {
  const { app, stats } = createGatewayApp(options);
  const running = await listenOnLoopback(createServer(app.callback()));
  return { ...running, stats };
}
