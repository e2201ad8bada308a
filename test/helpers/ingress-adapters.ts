import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import Router from '@koa/router';
import type { IngressOptions, IngressStats } from '@dyeline/core';
import { dyeline as expressDyeline } from '@dyeline/express';
import { dyeline as koaDyeline } from '@dyeline/koa';
import express from 'express';
import Koa from 'koa';
import { listen } from './http-server.js';
import type { RunningServer } from './http-server.js';

const require = createRequire(import.meta.url);
// The previous majors are installed under aliases and ship no types of their own.
const Koa2 = require('koa2') as typeof Koa;
const express4 = require('express4') as typeof express;

/** What the hop handler is asked to do; travels in the request (`x-test-hop`). */
export interface HopParams {
  /** Name of the outbound client to call the downstream with, or none for no call. */
  readonly client?: string;
  /** Headers the handler sets explicitly on its outbound call. */
  readonly explicit?: Readonly<Record<string, string>>;
}

/** The hop's answer: the tag it ran under, and the headers the downstream saw. */
export interface HopResult {
  readonly tag: Record<string, unknown> | null;
  readonly downstream: Record<string, string | string[] | undefined> | null;
}

/** The code of the service under test; runs inside the framework's handler. */
export type Hop = (params: HopParams) => Promise<HopResult>;

/** A started ingress: how the test sends it one request. */
export interface StartedIngress {
  /** Sends one request with `headers`; the ingress runs the hop with `params`. */
  send(headers: Record<string, string>, params?: HopParams): Promise<{ status: number; body: HopResult & { error?: string } }>;
  /** The ingress counters (dropped, rejected, signature refused). */
  readonly stats: Readonly<IngressStats>;
  close(): Promise<void>;
}

/**
 * One server framework with dyeline's ingress in front of the hop. To add one
 * (e.g. gRPC): implement `start` so that the framework runs `hop` inside
 * dyeline's ingress with `options`, and `send` so that the test can reach it.
 */
export interface IngressAdapter {
  readonly name: string;
  start(options: IngressOptions, hop: Hop): Promise<StartedIngress>;
}

const HOP_HEADER = 'x-test-hop';

function decode(raw: string | string[] | undefined): HopParams {
  return typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as HopParams) : {};
}

function httpSender(server: RunningServer, stats: Readonly<IngressStats>): StartedIngress {
  return {
    stats,
    close: () => server.close(),
    async send(headers, params = {}) {
      const response = await fetch(`${server.url}/hop`, { headers: { ...headers, [HOP_HEADER]: JSON.stringify(params) } });
      return { status: response.status, body: (await response.json()) as HopResult & { error?: string } };
    },
  };
}

function koaAdapter(name: string, KoaClass: typeof Koa, withRouter: boolean): IngressAdapter {
  return {
    name,
    async start(options, hop) {
      const app = new KoaClass();
      const middleware = koaDyeline(options);
      app.use(middleware);
      const handler = async (ctx: Koa.Context): Promise<void> => {
        ctx.body = await hop(decode(ctx.get(HOP_HEADER)));
      };
      if (withRouter) {
        const router = new Router();
        router.get('/hop', handler);
        app.use(router.routes());
      } else {
        app.use(handler);
      }
      return httpSender(await listen(createServer(app.callback())), middleware.stats);
    },
  };
}

function expressAdapter(name: string, expressFactory: typeof express): IngressAdapter {
  return {
    name,
    async start(options, hop) {
      const app = expressFactory();
      const middleware = expressDyeline(options);
      app.use(middleware);
      app.get('/hop', (req, res, next) => {
        hop(decode(req.headers[HOP_HEADER])).then((result) => res.json(result), next);
      });
      return httpSender(await listen(createServer(app)), middleware.stats);
    },
  };
}

/** Every HTTP ingress dyeline supports. */
export const httpIngressAdapters: readonly IngressAdapter[] = [
  koaAdapter('koa3', Koa, false),
  koaAdapter('koa2', Koa2, false),
  koaAdapter('koa3 + @koa/router', Koa, true),
  expressAdapter('express5', express),
  expressAdapter('express4', express4),
];

export { Koa2, express4 };
