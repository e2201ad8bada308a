import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConcurrencyGateStats, ConcurrencyLimitOptions, ServerAdapterOptions, ServerTimeoutOptions } from '@dyeline/core';
import * as dyelineExpress from '@dyeline/express';
import * as dyelineKoa from '@dyeline/koa';
import type { FaultHeaderGateOptions, FaultHeaderStats } from '@dyeline/resilience';
import express from 'express';
import Koa from 'koa';
import { listen } from './http-server.js';

const require = createRequire(import.meta.url);
// The previous majors are installed under aliases and ship no types of their own.
const Koa2 = require('koa2') as typeof Koa;
const express4 = require('express4') as typeof express;

/** The service code under test: resolves with the body to send (late, if it likes). */
export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<string>;

/** Which dyeline middleware a test app mounts, in this order: timeout/dyeline, faultInjection, concurrencyLimit, handler. */
export interface AppSpec {
  dyeline?: ServerAdapterOptions;
  timeout?: ServerTimeoutOptions;
  /** Mount `timeout()` before `dyeline()` (default after). */
  timeoutFirst?: boolean;
  fault?: FaultHeaderGateOptions;
  limit?: ConcurrencyLimitOptions;
  handler: Handler;
}

/** A running app. */
export interface StartedApp {
  readonly url: string;
  /** Counters of `concurrencyLimit()` and `faultInjection()`, when mounted. */
  readonly limitStats: ConcurrencyGateStats | undefined;
  readonly faultStats: Readonly<FaultHeaderStats> | undefined;
  /** Errors the framework or a late write raised (must stay empty: no "headers already sent"). */
  readonly errors: unknown[];
  close(): Promise<void>;
}

/** A server framework the resilience middleware is tested on. */
export interface Framework {
  readonly name: string;
  start(spec: AppSpec): Promise<StartedApp>;
}

function koaFramework(name: string, KoaClass: typeof Koa): Framework {
  return {
    name,
    async start(spec) {
      const app = new KoaClass();
      const errors: unknown[] = [];
      app.on('error', (error: unknown) => errors.push(error));
      const ingress = spec.dyeline === undefined ? undefined : dyelineKoa.dyeline(spec.dyeline);
      const timer = spec.timeout === undefined ? undefined : dyelineKoa.timeout(spec.timeout);
      const first = spec.timeoutFirst ? [timer, ingress] : [ingress, timer];
      for (const middleware of first) if (middleware !== undefined) app.use(middleware);
      const fault = spec.fault === undefined ? undefined : dyelineKoa.faultInjection(spec.fault);
      if (fault !== undefined) app.use(fault);
      const limit = spec.limit === undefined ? undefined : dyelineKoa.concurrencyLimit(spec.limit);
      if (limit !== undefined) app.use(limit);
      app.use(async (ctx) => {
        ctx.body = await spec.handler(ctx.req, ctx.res);
      });
      const server = await listen(createServer(app.callback()));
      return { url: server.url, errors, limitStats: limit?.stats, faultStats: fault?.stats, close: () => server.close() };
    },
  };
}

function expressFramework(name: string, expressFn: typeof express): Framework {
  return {
    name,
    async start(spec) {
      const app = expressFn();
      const errors: unknown[] = [];
      const ingress = spec.dyeline === undefined ? undefined : dyelineExpress.dyeline(spec.dyeline);
      const timer = spec.timeout === undefined ? undefined : dyelineExpress.timeout(spec.timeout);
      const first = spec.timeoutFirst ? [timer, ingress] : [ingress, timer];
      for (const middleware of first) if (middleware !== undefined) app.use(middleware);
      const fault = spec.fault === undefined ? undefined : dyelineExpress.faultInjection(spec.fault);
      if (fault !== undefined) app.use(fault);
      const limit = spec.limit === undefined ? undefined : dyelineExpress.concurrencyLimit(spec.limit);
      if (limit !== undefined) app.use(limit);
      app.use((req, res) => {
        spec.handler(req, res).then((body) => res.send(body)).catch((error: unknown) => errors.push(error));
      });
      const server = await listen(createServer(app));
      return { url: server.url, errors, limitStats: limit?.stats, faultStats: fault?.stats, close: () => server.close() };
    },
  };
}

/** Koa 3, Koa 2, Express 5 and Express 4. */
export const frameworks: readonly Framework[] = [
  koaFramework('koa3', Koa),
  koaFramework('koa2', Koa2),
  expressFramework('express5', express),
  expressFramework('express4', express4),
];
