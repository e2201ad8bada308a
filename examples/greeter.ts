// The `greeter` service (Express), after Istio's helloworld: every version
// answers "Hello version: vN" with a `Service-Version` header, and calls one
// more hop (echo) with plain `fetch` — dyeline's fetch propagation writes the
// tag on that call, so the last hop sees what the greeter saw.
import { createServer } from 'node:http';
import express from 'express';
import type { Express } from 'express';
import { currentTag } from '@dyeline/core';
import { dyeline } from '@dyeline/express';
import type { ExpressDyelineOptions } from '@dyeline/express';
import type { EchoReply } from './echo.js';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';
import { meshIngressOptions } from './mesh-options.js';

/** Options of {@link createGreeterApp}. */
export interface GreeterOptions {
  /** The version this instance serves (`v1`, `v2`); echoed as `Service-Version`. */
  version: string;
  /** Base URL of the next hop (the echo service). */
  next: string;
  /** Ingress options; default: trust the mesh (loopback), Istio wire names. */
  ingress?: ExpressDyelineOptions;
}

/** What `GET /hello` answers. */
export interface GreeterReply {
  greeting: string;
  version: string;
  /** The tag the greeter ran under. */
  tag: Record<string, unknown>;
  /** What the next hop answered. */
  next: EchoReply;
}

/**
 * Builds one greeter instance: dyeline ingress (with the `Service-Version`
 * echo), then `GET /hello` → {@link GreeterReply}.
 *
 * @throws {TypeError} when `version` or `next` is missing, or the ingress options are invalid.
 */
export function createGreeterApp(options: GreeterOptions): Express {
  const { version, next } = options;
  if (typeof version !== 'string' || version === '') throw new TypeError('createGreeterApp: options.version must be a non-empty string');
  if (typeof next !== 'string' || !/^https?:\/\//.test(next)) throw new TypeError('createGreeterApp: options.next must be an http(s) URL');
  const app = express();
  app.disable('x-powered-by');
  app.use(dyeline({ ...(options.ingress ?? meshIngressOptions), version }));
  app.get('/hello', async (_req, res) => {
    // No headers passed by hand: the tag rides along through the propagation.
    const answer = await fetch(`${next}/echo`);
    if (!answer.ok) throw new Error(`echo answered ${answer.status}`);
    const reply: GreeterReply = {
      greeting: `Hello version: ${version}`,
      version,
      tag: currentTag()?.toJSON() ?? {},
      next: (await answer.json()) as EchoReply,
    };
    res.json(reply);
  });
  return app;
}

/** Starts one greeter instance on loopback, port 0. */
export function startGreeter(options: GreeterOptions): Promise<RunningService> {
  return listenOnLoopback(createServer(createGreeterApp(options)));
}
