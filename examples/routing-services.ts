// The services of the routing walkthrough (Koa, dyeline ingress on every
// hop), after Istio's helloworld and a three-service checkout chain:
//
//   load generator ──► routing gateway ──routedFetch──► helloworld v1 | v2
//                                     └─routedFetch──► cart ─► stock ─► payment
//
// The gateway and every chain hop call logical hosts (`http://helloworld/…`,
// `http://stock/`) through `routedFetch`; the router picks the instance by the
// tag (Istio rules, sticky weights, color lanes with per-hop fallback). No
// handler passes a header by hand: the tag rides on the global fetch
// propagation that the demo stack installs.
import { createServer } from 'node:http';
import Koa from 'koa';
import { currentTag } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import type { KoaDyelineOptions } from '@dyeline/koa';
import { routedFetch } from '@dyeline/http';
import type { Router } from '@dyeline/routing';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';
import { meshIngressOptions } from './mesh-options.js';

/** What helloworld answers on `GET /hello`, and the gateway passes on. */
export interface HelloReply {
  /** The version that served the call (`v1`, `v2`). */
  version: string;
  /** The tag helloworld ran under (`Tag.toJSON()`): the last hop. */
  tag: Record<string, unknown>;
}

/** What a chain hop answers, and the gateway passes on on `GET /checkout`. */
export interface ChainReply {
  /** The instances visited, in order: `cart@feature-42`, `stock`, … */
  path: string[];
  /** The tag the last hop ran under (`Tag.toJSON()`). */
  tag: Record<string, unknown>;
}

function checkName(option: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${option} must be a non-empty string`);
}

/**
 * Starts one helloworld instance on loopback: dyeline ingress (mesh trust),
 * `GET /hello` → {@link HelloReply}.
 *
 * @throws {TypeError} when `version` is empty.
 */
export function startHelloworld(version: string, ingress: KoaDyelineOptions = meshIngressOptions): Promise<RunningService> {
  checkName('startHelloworld: version', version);
  const app = new Koa();
  app.use(dyeline({ ...ingress, version }));
  app.use((ctx) => {
    if (ctx.path !== '/hello') return;
    const reply: HelloReply = { version, tag: currentTag()?.toJSON() ?? {} };
    ctx.body = reply;
  });
  return listenOnLoopback(createServer(app.callback()));
}

/** Options of {@link startChainHop}. */
export interface ChainHopOptions {
  /** The logical service, e.g. `stock`. */
  service: string;
  /** The instance's lane (its `color` label); none: the base lane. */
  color?: string;
  /** The next service of the chain, called as `http://<next>/`; none: the last hop. */
  next?: string;
  /** This hop's router (required with `next`). */
  router?: Router;
  /** Ingress options. Default: trust the mesh (loopback), Istio wire names. */
  ingress?: KoaDyelineOptions;
}

/** The name a hop reports in the path: `service` or `service@color`. */
export function hopName(service: string, color: string | undefined): string {
  return color === undefined ? service : `${service}@${color}`;
}

/**
 * Starts one instance of a chain service: it answers `GET /` with the path
 * the request took from here on ({@link ChainReply}), calling `next` through
 * its own router first.
 *
 * @throws {TypeError} when `service` is empty, or `next` is given without `router`.
 */
export function startChainHop(options: ChainHopOptions): Promise<RunningService> {
  const { service, color, next, router } = options;
  checkName('startChainHop: service', service);
  if (next !== undefined && router === undefined) throw new TypeError('startChainHop: router is required with next');
  const name = hopName(service, color);
  const call = router === undefined ? undefined : routedFetch({ router });
  const app = new Koa();
  app.use(dyeline(options.ingress ?? meshIngressOptions));
  app.use(async (ctx) => {
    if (ctx.path !== '/') return;
    let reply: ChainReply = { path: [name], tag: currentTag()?.toJSON() ?? {} };
    if (next !== undefined && call !== undefined) {
      const answer = await call(`http://${next}/`);
      if (!answer.ok) ctx.throw(502, `${next} answered ${answer.status}`);
      const downstream = (await answer.json()) as ChainReply;
      reply = { path: [name, ...downstream.path], tag: downstream.tag };
    }
    ctx.body = reply;
  });
  return listenOnLoopback(createServer(app.callback()));
}

/** Options of {@link startRoutingGateway}. */
export interface RoutingGatewayOptions {
  /** Routes `helloworld` and `cart`; its rules may change while the gateway runs. */
  router: Router;
  /** The edge ingress (trust policy, wire names). */
  ingress: KoaDyelineOptions;
}

/**
 * Starts the walkthrough's edge gateway on loopback: dyeline ingress, then
 * `GET /hello` → `http://helloworld/hello` ({@link HelloReply}) and
 * `GET /checkout` → `http://cart/` ({@link ChainReply}), both through
 * `routedFetch`.
 */
export function startRoutingGateway(options: RoutingGatewayOptions): Promise<RunningService> {
  const call = routedFetch({ router: options.router });
  const targets: Readonly<Record<string, string>> = { '/hello': 'http://helloworld/hello', '/checkout': 'http://cart/' };
  const app = new Koa();
  app.use(dyeline(options.ingress));
  app.use(async (ctx) => {
    const target = targets[ctx.path];
    if (target === undefined) return;
    const answer = await call(target);
    if (!answer.ok) ctx.throw(502, `${target} answered ${answer.status}`);
    ctx.body = await answer.json();
  });
  return listenOnLoopback(createServer(app.callback()));
}
