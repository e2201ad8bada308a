// The last hop of the demo (Koa): answers with the tag it runs under, so the
// demo can check what arrived after gateway → greeter → echo.
import { createServer } from 'node:http';
import Koa from 'koa';
import { currentTag } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import type { KoaDyelineOptions } from '@dyeline/koa';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';
import { meshIngressOptions } from './mesh-options.js';

/** What `GET /echo` answers. */
export interface EchoReply {
  service: 'echo';
  /** The tag as the echo service sees it (`Tag.toJSON()`). */
  tag: Record<string, unknown>;
  /** The raw W3C `baggage` header that arrived, to check unrelated members survived every hop. */
  baggage: string | null;
}

/** Builds the echo app: dyeline ingress, then `GET /echo` → {@link EchoReply}. */
export function createEchoApp(ingress: KoaDyelineOptions = meshIngressOptions): Koa {
  const app = new Koa();
  app.use(dyeline(ingress));
  app.use((ctx) => {
    if (ctx.path !== '/echo') return;
    const reply: EchoReply = { service: 'echo', tag: currentTag()?.toJSON() ?? {}, baggage: ctx.get('baggage') || null };
    ctx.body = reply;
  });
  return app;
}

/** Starts the echo service on loopback, port 0. */
export function startEcho(ingress?: KoaDyelineOptions): Promise<RunningService> {
  return listenOnLoopback(createServer(createEchoApp(ingress).callback()));
}
