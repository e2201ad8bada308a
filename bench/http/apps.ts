// The server of every scenario. Handlers answer `hello <what they read>`, so
// the parent can check that each variant really read (or forwarded) the tag.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestListener } from 'node:http';
import express from 'express';
import Koa from 'koa';
import rTracer from 'cls-rtracer';
import type { ScenarioName } from './scenarios.js';

import type * as CoreModule from '@dyeline/core';
import type * as KoaModule from '@dyeline/koa';
import type * as ExpressModule from '@dyeline/express';
import type * as HttpModule from '@dyeline/http';
import type * as OtelApi from '@opentelemetry/api';

type Core = typeof CoreModule;
type KoaAdapter = typeof KoaModule;
type ExpressAdapter = typeof ExpressModule;
type HttpAdapter = typeof HttpModule;

/** The dyeline packages, loaded from dist/ (default) or from the TypeScript sources. */
export interface Dyeline {
  core: Core;
  koa: KoaAdapter;
  express: ExpressAdapter;
  http: HttpAdapter;
}

/** Loads the dyeline packages from `dist/` (what users run) or `src/`. */
export async function loadDyeline(from: 'dist' | 'src'): Promise<Dyeline> {
  const file = (pkg: string): string =>
    new URL(`../../packages/${pkg}/${from === 'dist' ? 'dist/index.js' : 'src/index.ts'}`, import.meta.url).href;
  const [core, koa, expressAdapter, http] = await Promise.all([
    import(file('core')) as Promise<Core>,
    import(file('koa')) as Promise<KoaAdapter>,
    import(file('express')) as Promise<ExpressAdapter>,
    import(file('http')) as Promise<HttpAdapter>,
  ]);
  return { core, koa, express: expressAdapter, http };
}

// What the benchmark's ingress does per request: read x-color/x-user/baggage,
// judge the caller by CIDR (loopback is trusted), validate, run inside ALS.
const INGRESS = { trust: { trustedCidrs: ['127.0.0.0/8', '::1/128'] } } as const;
const FORWARDED = ['x-color', 'x-user', 'baggage'] as const;

interface Store {
  color: string;
  user: string;
}

async function otelApi(): Promise<typeof OtelApi> {
  return import('@opentelemetry/api');
}

async function koaApp(name: ScenarioName, dyeline: Dyeline, downstream: string): Promise<Koa> {
  const app = new Koa();
  let read: () => string | undefined = () => undefined;
  let call: (() => Promise<string>) | undefined;
  switch (name) {
    case 'koa':
      break;
    case 'koa+dyeline':
      app.use(dyeline.koa.dyeline(INGRESS));
      read = () => dyeline.core.currentTag()?.color;
      break;
    case 'koa+dyeline-nobind':
      app.use(dyeline.koa.dyeline({ ...INGRESS, bindEmitters: false }));
      read = () => dyeline.core.currentTag()?.color;
      break;
    case 'koa+als-again':
    case 'koa+als': {
      const als = new AsyncLocalStorage<Store>();
      app.use((ctx, next) => als.run({ color: ctx.get('x-color'), user: ctx.get('x-user') }, next));
      read = () => als.getStore()?.color;
      break;
    }
    case 'koa+cls-rtracer':
      app.use(rTracer.koaMiddleware() as unknown as Koa.Middleware);
      read = () => String(rTracer.id() ?? '');
      break;
    case 'koa+otel': {
      const { context, propagation } = await otelApi();
      read = () => propagation.getBaggage(context.active())?.getEntry('color')?.value;
      break;
    }
    case 'hop-by-hand':
      app.use(async (ctx) => {
        const headers: Record<string, string> = {};
        for (const header of FORWARDED) {
          const value = ctx.get(header);
          if (value !== '') headers[header] = value;
        }
        ctx.body = await (await fetch(downstream, { headers })).text();
      });
      return app;
    case 'hop-als': {
      // What a careful team writes without a library: ALS at ingress, headers rebuilt from the store.
      const als = new AsyncLocalStorage<Record<string, string>>();
      app.use((ctx, next) => {
        const store: Record<string, string> = {};
        for (const header of FORWARDED) {
          const value = ctx.get(header);
          if (value !== '') store[header] = value;
        }
        return als.run(store, next);
      });
      call = async () => (await fetch(downstream, { headers: als.getStore() ?? {} })).text();
      break;
    }
    case 'hop-dyeline':
      dyeline.http.installFetchPropagation();
      app.use(dyeline.koa.dyeline(INGRESS));
      call = async () => (await fetch(downstream)).text();
      break;
    case 'hop-otel': {
      // instrumentation-http sees node:http, not fetch (undici): inject as instrumentation-undici would.
      const { context, propagation } = await otelApi();
      call = async () => {
        const headers: Record<string, string> = {};
        propagation.inject(context.active(), headers);
        return (await fetch(downstream, { headers })).text();
      };
      break;
    }
    default:
      throw new TypeError(`not a Koa scenario: ${name}`);
  }
  const callDownstream = call;
  app.use(async (ctx) => {
    ctx.body = callDownstream === undefined ? `hello ${read() ?? ''}` : await callDownstream();
  });
  return app;
}

function expressApp(name: ScenarioName, dyeline: Dyeline): RequestListener {
  const app = express();
  let read: () => string | undefined = () => undefined;
  if (name === 'express+dyeline') {
    app.use(dyeline.express.dyeline(INGRESS));
    read = () => dyeline.core.currentTag()?.color;
  } else if (name === 'express+dyeline-nobind') {
    app.use(dyeline.express.dyeline({ ...INGRESS, bindEmitters: false }));
    read = () => dyeline.core.currentTag()?.color;
  } else if (name === 'express+als') {
    const als = new AsyncLocalStorage<Store>();
    app.use((req, _res, next) => als.run({ color: String(req.headers['x-color'] ?? ''), user: String(req.headers['x-user'] ?? '') }, next));
    read = () => als.getStore()?.color;
  }
  app.get('/', (_req, res) => {
    res.send(`hello ${read() ?? ''}`);
  });
  return app;
}

/** The downstream of the hop scenarios: answers with the tag it received. */
export const downstreamListener: RequestListener = (req, res) => {
  res.end(`got ${String(req.headers['x-color'] ?? req.headers.baggage ?? '')}`);
};

/** The request listener of `name`. */
export async function buildListener(name: ScenarioName, dyeline: Dyeline, downstream: string): Promise<RequestListener> {
  if (name.startsWith('express')) return expressApp(name, dyeline);
  return (await koaApp(name, dyeline, downstream)).callback();
}
