// The tag inside an existing cls-hooked namespace, as legacy code reads it,
// through real Koa and Express servers under concurrent requests.
import http from 'node:http';
import type { Server } from 'node:http';
import { createNamespace } from 'cls-hooked';
import express from 'express';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngress, incomingHeadersGetter, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { clsHookedBridge } from '@dyeline/observe/cls-hooked';

const ns = createNamespace('legacy-app');
const bridge = clsHookedBridge(ns);
const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.1/32'] } });

/** Legacy code: knows nothing of dyeline, reads CLS after timers and awaits. */
async function legacyColor(): Promise<string | undefined> {
  await new Promise((r) => setTimeout(r, Math.random() * 5));
  await Promise.resolve();
  return new Promise((resolve) => setImmediate(() => resolve((ns.get('dyeline.tag') as Tag | undefined)?.color)));
}

const servers: Server[] = [];
const urls: Record<string, string> = {};

function listen(name: string, server: Server): Promise<void> {
  servers.push(server);
  return new Promise((r) => server.listen(0, '127.0.0.1', () => {
    urls[name] = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    r();
  }));
}

beforeAll(async () => {
  const koa = new Koa();
  koa.use((ctx, next) => runWithTag(ingress.read(ctx.req.headers, incomingHeadersGetter, ctx.req.socket.remoteAddress).tag, next));
  koa.use(bridge.koa);
  koa.use(async (ctx) => {
    ctx.body = (await legacyColor()) ?? 'none';
  });
  await listen('koa', http.createServer(koa.callback()));

  const app = express();
  app.use((req, _res, next) => runWithTag(ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress).tag, next));
  app.use(bridge.express);
  app.get('/', (_req, res) => {
    legacyColor().then((color) => res.send(color ?? 'none'), () => res.status(500).end());
  });
  await listen('express', http.createServer(app));
});

afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

function get(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('clsHookedBridge', () => {
  for (const framework of ['koa', 'express']) {
    it(`${framework}: each request sees its own tag in the namespace`, async () => {
      const colors = Array.from({ length: 30 }, (_, i) => `lane-${i}`);
      const got = await Promise.all(colors.map((c) => get(urls[framework] as string, { 'x-color': c })));
      expect(got).toEqual(colors);
      expect(await get(urls[framework] as string, {})).toBe('none');
    });
  }

  it('run() returns what the function returns and sets the tag', () => {
    const value = runWithTag(ingress.read({ 'x-color': 'x' }, incomingHeadersGetter, '127.0.0.1').tag, () =>
      bridge.run(() => (ns.get('dyeline.tag') as Tag).color),
    );
    expect(value).toBe('x');
  });

  it('rejects what is not a namespace', () => {
    expect(() => clsHookedBridge({} as never)).toThrow(/namespace/);
    expect(() => clsHookedBridge(ns, { key: '' })).toThrow(/options.key/);
  });
});
