// The services of the shadow demo, in the shape of the demo's gateway and
// greeter: a public edge (Koa, the edge trust policy: only a signed tag may
// say shadow) forwarding `POST /orders` to the orders service (Koa, trusts the
// mesh), which writes each order through @dyeline/shadow. No handler passes a
// tag or picks a database: the ingress sets the tag, fetch propagation carries
// it, the shadow wrapper chooses production or shadow.
import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { currentTag, isShadowIsolationError } from '@dyeline/core';
import type { IngressStats } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import type { KoaDyelineOptions } from '@dyeline/koa';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';
import { meshIngressOptions } from './mesh-options.js';
import type { OrdersDb } from './shadow-store.js';

/** What `POST /orders` answers. */
export interface OrderReply {
  id: number;
  /** The tag the orders service ran under. */
  tag: Record<string, unknown>;
}

/**
 * The orders service: `POST /orders?run=&client=&item=` inserts one row
 * (recording whether the request was shadow) through `db`. A refused shadow
 * write answers 503 — it is never retried against production.
 *
 * @throws {TypeError} when `db` has no `query` function.
 */
export function createOrdersApp(options: { db: OrdersDb; ingress?: KoaDyelineOptions }): Koa {
  if (typeof options.db?.query !== 'function') throw new TypeError('createOrdersApp: options.db must have a query function');
  const { db } = options;
  const router = new Router();
  router.post('/orders', async (ctx) => {
    const { run = '', client = '', item = 'book' } = ctx.query as Record<string, string | undefined>;
    const tag = currentTag();
    try {
      const result = (await db.query('INSERT INTO orders (run, client, item, shadow) VALUES ($1, $2, $3, $4) RETURNING id', [
        run,
        client,
        item,
        tag?.shadow === true,
      ])) as { rows: { id: number }[] };
      const reply: OrderReply = { id: Number(result.rows[0]?.id), tag: tag?.toJSON() ?? {} };
      ctx.body = reply;
    } catch (error) {
      if (!isShadowIsolationError(error)) throw error;
      ctx.status = 503;
      ctx.body = { error: error.code, message: error.message };
    }
  });
  const app = new Koa();
  app.silent = true;
  app.use(dyeline(options.ingress ?? meshIngressOptions));
  app.use(router.routes());
  return app;
}

/**
 * The public edge of the shadow demo: the edge trust policy, then
 * `POST /orders` forwarded to `orders` with plain fetch (dyeline's fetch
 * propagation writes the tag).
 */
export function createOrdersEdgeApp(options: { orders: string; ingress: KoaDyelineOptions }): { app: Koa; stats: Readonly<IngressStats> } {
  const ingress = dyeline(options.ingress);
  const router = new Router();
  router.post('/orders', async (ctx) => {
    const answer = await fetch(`${options.orders}/orders${ctx.search}`, { method: 'POST' });
    ctx.status = answer.status;
    ctx.body = await answer.json();
  });
  const app = new Koa();
  app.silent = true;
  app.use(ingress);
  app.use(router.routes());
  return { app, stats: ingress.stats };
}

/** The running pair: edge → orders. */
export interface ShadowOrders {
  readonly edgeUrl: string;
  readonly edgeStats: Readonly<IngressStats>;
  close(): Promise<void>;
}

/** Starts the orders service and its edge on loopback, port 0. */
export async function startShadowOrders(options: { db: OrdersDb; edgeIngress: KoaDyelineOptions }): Promise<ShadowOrders> {
  const orders: RunningService = await listenOnLoopback(createServer(createOrdersApp({ db: options.db }).callback()));
  try {
    const edge = createOrdersEdgeApp({ orders: orders.url, ingress: options.edgeIngress });
    const running = await listenOnLoopback(createServer(edge.app.callback()));
    return {
      edgeUrl: running.url,
      edgeStats: edge.stats,
      close: async () => {
        await running.close();
        await orders.close();
      },
    };
  } catch (error) {
    await orders.close();
    throw error;
  }
}
