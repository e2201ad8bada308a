import { createServer } from 'node:http';
import http from 'node:http';
import { createTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import { createOutboundGuard, guardHttpRequest, guardedFetch, outboundGuardInterceptor, withOutboundGuard } from '@dyeline/shadow';
import { Agent, fetch as undiciFetch, request as undiciRequest } from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

const SHADOW = createTag({ shadow: true, user: 'stress' });
const PROD = createTag({ user: 'alice' });

interface CountingServer extends RunningServer {
  requests: number;
  connections: number;
}

async function countingServer(): Promise<CountingServer> {
  let running: RunningServer | undefined;
  const counting: CountingServer = {
    requests: 0,
    connections: 0,
    get url() {
      return running!.url;
    },
    get port() {
      return running!.port;
    },
    close: () => running!.close(),
  };
  const server = createServer((_req, res) => {
    counting.requests++;
    res.end('real');
  });
  server.on('connection', () => counting.connections++);
  running = await listen(server);
  return counting;
}

function httpGet(request: typeof http.request, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('outbound guard against real HTTP servers', () => {
  let allowed: CountingServer;
  let payments: CountingServer;
  const agent = () => new Agent();

  beforeAll(async () => {
    allowed = await countingServer();
    payments = await countingServer();
  });
  afterAll(async () => {
    await allowed.close();
    await payments.close();
  });
  beforeEach(() => {
    allowed.requests = allowed.connections = 0;
    payments.requests = payments.connections = 0;
  });

  const guard = () => createOutboundGuard({ allow: [`127.0.0.1:${allowed.port}`] });

  it('fetch: shadow to a non-allowed host is refused, 0 requests and 0 connections reach it', async () => {
    const f = guardedFetch(fetch, guard());
    await runWithTag(SHADOW, async () => {
      for (let i = 0; i < 20; i++) {
        await expect(f(`${payments.url}/charge`, { method: 'POST', body: 'x' })).rejects.toSatisfy(isShadowIsolationError);
        await expect(f(new Request(`http://localhost:${payments.port}/charge`))).rejects.toSatisfy(isShadowIsolationError);
      }
      expect(await (await f(`${allowed.url}/ok`)).text()).toBe('real');
    });
    expect(payments.requests).toBe(0);
    expect(payments.connections).toBe(0);
    expect(allowed.requests).toBe(1);
  });

  it('fetch: production traffic passes untouched, with or without a tag', async () => {
    const f = guardedFetch(fetch, guard());
    expect(await (await f(`${payments.url}/charge`)).text()).toBe('real');
    expect(await runWithTag(PROD, async () => (await f(`${payments.url}/charge`)).text())).toBe('real');
    expect(payments.requests).toBe(2);
  });

  it('fetch: a mock answers shadow calls instead of the real server', async () => {
    const g = createOutboundGuard({
      allow: [],
      mock: (url, call) => (url.pathname === '/charge' ? Response.json({ mocked: true, method: call.method }) : undefined),
    });
    const f = guardedFetch(undiciFetch as unknown as typeof fetch, g);
    const body = await runWithTag(SHADOW, async () => (await f(`${payments.url}/charge`, { method: 'post' })).json());
    expect(body).toEqual({ mocked: true, method: 'POST' });
    await expect(runWithTag(SHADOW, () => f(`${payments.url}/other`))).rejects.toSatisfy(isShadowIsolationError);
    expect(payments.requests).toBe(0);
    expect(payments.connections).toBe(0);
  });

  it('undici interceptor: shadow refused before connecting, production and allowed hosts pass', async () => {
    const dispatcher = agent().compose(outboundGuardInterceptor(guard()));
    try {
      await runWithTag(SHADOW, async () => {
        await expect(undiciRequest(`${payments.url}/charge`, { dispatcher })).rejects.toSatisfy(isShadowIsolationError);
        await expect(undiciFetch(`${payments.url}/charge`, { dispatcher })).rejects.toSatisfy(
          (e: unknown) => isShadowIsolationError(e) || isShadowIsolationError((e as Error).cause),
        );
        const ok = await undiciRequest(`${allowed.url}/ok`, { dispatcher });
        expect(await ok.body.text()).toBe('real');
      });
      const prod = await runWithTag(PROD, () => undiciRequest(`${payments.url}/charge`, { dispatcher }));
      expect(await prod.body.text()).toBe('real');
    } finally {
      await dispatcher.close();
    }
    expect(payments.requests).toBe(1);
    expect(payments.connections).toBe(1);
    expect(allowed.requests).toBe(1);
  });

  it('withOutboundGuard: the same refusals in front of an Agent, which it still closes', async () => {
    const dispatcher = withOutboundGuard(agent(), guard());
    try {
      await runWithTag(SHADOW, async () => {
        await expect(undiciRequest(`${payments.url}/charge`, { dispatcher })).rejects.toSatisfy(isShadowIsolationError);
        await expect(undiciFetch(`${payments.url}/charge`, { dispatcher })).rejects.toSatisfy(
          (e: unknown) => isShadowIsolationError(e) || isShadowIsolationError((e as Error).cause),
        );
        expect(await (await undiciRequest(`${allowed.url}/ok`, { dispatcher })).body.text()).toBe('real');
      });
      const prod = await runWithTag(PROD, () => undiciRequest(`${payments.url}/charge`, { dispatcher }));
      expect(await prod.body.text()).toBe('real');
    } finally {
      await dispatcher.close();
    }
    expect(dispatcher.closed).toBe(true);
    expect(payments.requests).toBe(1);
    expect(allowed.requests).toBe(1);
  });

  it('withOutboundGuard hands the handler to the dispatcher as it came (no per-request conversion)', () => {
    const seen: unknown[] = [];
    const inner = { dispatch: (_options: unknown, handler: unknown) => seen.push(handler) > 0 };
    const handler = { onError() {} };
    const wrapped = withOutboundGuard(inner as unknown as Dispatcher, guard());
    runWithTag(PROD, () => wrapped.dispatch({ origin: allowed.url, path: '/', method: 'GET' }, handler as unknown as Dispatcher.DispatchHandler));
    expect(seen).toEqual([handler]);
    expect(seen[0]).toBe(handler);
  });

  it.each([[undefined], [null], [{}], [{ dispatch: 'no' }]])('withOutboundGuard: a dispatcher without dispatch is a TypeError: %j', (bad) => {
    expect(() => withOutboundGuard(bad as unknown as Dispatcher, guard())).toThrow('withOutboundGuard: dispatcher');
  });

  it('withOutboundGuard: something that is not a guard is a TypeError', () => {
    expect(() => withOutboundGuard({ dispatch: () => true }, {} as never)).toThrow('withOutboundGuard: guard');
  });

  it('node:http: shadow request errors with ShadowIsolationError and opens no socket', async () => {
    const request = guardHttpRequest(http.request, guard());
    await runWithTag(SHADOW, async () => {
      await expect(httpGet(request, `${payments.url}/charge`)).rejects.toSatisfy(isShadowIsolationError);
      const viaOptions = new Promise<unknown>((resolve) => {
        const req = request({ host: '127.0.0.1', port: payments.port, path: '/charge', method: 'POST' });
        req.on('error', resolve);
        req.end('x');
      });
      expect(isShadowIsolationError(await viaOptions)).toBe(true);
      expect(await httpGet(request, `${allowed.url}/ok`)).toBe('real');
    });
    expect(await runWithTag(PROD, () => httpGet(request, `${payments.url}/charge`))).toBe('real');
    expect(payments.requests).toBe(1);
    expect(payments.connections).toBe(1);
  });

  it('mixed load: 200 shadow and 200 production calls, only production reaches the payment server', async () => {
    const f = guardedFetch(fetch, guard());
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) => runWithTag(i % 2 === 0 ? SHADOW : PROD, () => f(`${payments.url}/charge`).then((r) => r.text()))),
    );
    const refused = results.filter((r) => r.status === 'rejected' && isShadowIsolationError(r.reason)).length;
    expect(refused).toBe(200);
    expect(payments.requests).toBe(200);
  });
});
