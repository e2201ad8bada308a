import type { IncomingMessage, ServerResponse } from 'node:http';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { createRouter } from '@dyeline/routing';
import type { Instance, Router } from '@dyeline/routing';
import { createRoutePolicyRunner, routedFetch, routedHttpRequest } from '@dyeline/http';
import type { RoutedClientOptions } from '@dyeline/http';
import { routedAxios } from '@dyeline/http/axios';
import { readAll, routedClients as clients } from './helpers/routed-clients.js';
import { serve } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

let mirrorMode: 'ok' | 'hang' | 'fail' = 'ok';
const mirrored: { path: string | undefined; body: string; route: string | undefined }[] = [];
const servers: RunningServer[] = [];
const instances: Instance[] = [];

beforeAll(async () => {
  const echo = (version: string) => (req: IncomingMessage, res: ServerResponse) => {
    readAll(req).then((body) => res.end(JSON.stringify({ version, path: req.url, body, headers: req.headers })), () => res.destroy());
  };
  for (const version of ['v1', 'v2']) {
    const server = await serve(echo(version));
    servers.push(server);
    instances.push({ service: 'greeter', address: `127.0.0.1:${server.port}`, labels: { version } });
  }
  const mirror = await serve((req, res) => {
    readAll(req).then((body) => {
      mirrored.push({ path: req.url, body, route: req.headers['x-route'] as string | undefined });
      if (mirrorMode === 'fail') {
        res.statusCode = 500;
        res.end('mirror broke');
      } else if (mirrorMode === 'ok') res.end('mirror');
      // 'hang': never answers; the main call must not wait for it.
    }, () => res.destroy());
  });
  servers.push(mirror);
  instances.push({ service: 'shadow-greeter', address: `127.0.0.1:${mirror.port}`, labels: {} });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const RULES = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - match: [{ headers: { user: { exact: admin } } }]
    route: [{ destination: { host: greeter, subset: v2 } }]
  - headers:
      request:
        set: { x-route: default }
        remove: [x-secret]
    mirror: { host: shadow-greeter }
    route: [{ destination: { host: greeter, subset: v1 } }]
`;

function router(): Router {
  return createRouter({ instances, rules: RULES });
}

describe.each(clients)('routed outbound through $name', (client) => {
  it('resolves the logical host to the chosen instance, by header or by the tag', async () => {
    const call = client.build({ router: router() });
    expect((await call('http://greeter/hello?x=1')).version).toBe('v1');
    expect(await call('http://greeter/hello?x=1', { headers: { user: 'admin' } })).toMatchObject({ version: 'v2', path: '/hello?x=1' });
    expect((await runWithTag(createTag({ user: 'admin' }), () => call('http://greeter/'))).version).toBe('v2');
  });

  it('applies the route header edits and mirrors a copy with the body', async () => {
    const call = client.build({ router: router() });
    const before = mirrored.length;
    const seen = await call('http://greeter/order?id=7', { method: 'POST', body: 'payload', headers: { 'x-secret': 's', 'content-type': 'text/plain' } });
    expect(seen).toMatchObject({ status: 200, version: 'v1', path: '/order?id=7', body: 'payload' });
    expect(seen.headers['x-route']).toBe('default');
    expect(seen.headers['x-secret']).toBeUndefined();
    await expect.poll(() => mirrored.length).toBe(before + 1);
    expect(mirrored.at(-1)).toEqual({ path: '/order?id=7', body: 'payload', route: 'default' });
  });

  it('a mirror target that never answers does not delay the main call', async () => {
    mirrorMode = 'hang';
    try {
      const errors: unknown[] = [];
      const call = client.build({ router: router(), onError: (e) => errors.push(e) });
      const before = mirrored.length;
      // Each main call completes although every mirror copy before it is still unanswered.
      for (let i = 0; i < 3; i++) expect((await call('http://greeter/x')).version).toBe('v1');
      await expect.poll(() => mirrored.length).toBe(before + 3);
      expect(errors).toEqual([]);
    } finally {
      mirrorMode = 'ok';
    }
  });

  it('a mirror answering 500 does not fail the main call', async () => {
    mirrorMode = 'fail';
    try {
      const call = client.build({ router: router() });
      const before = mirrored.length;
      expect(await call('http://greeter/y')).toMatchObject({ status: 200, version: 'v1' });
      await expect.poll(() => mirrored.length).toBe(before + 1);
    } finally {
      mirrorMode = 'ok';
    }
  });

  it('a mirror target with no instance is reported, and the main call still succeeds', async () => {
    const errors: unknown[] = [];
    const call = client.build({ router: createRouter({ instances: instances.filter((i) => i.service === 'greeter'), rules: RULES }), onError: (e) => errors.push(e) });
    expect((await call('http://greeter/z')).version).toBe('v1');
    expect(errors).toEqual([expect.objectContaining({ code: 'ERR_DYELINE_NO_INSTANCE' })]);
  });

  it('passes hosts that are not routed through untouched', async () => {
    const call = client.build({ router: router() });
    const direct = await call(`http://${instances[1]?.address}/direct`);
    expect([direct.version, direct.path, direct.headers['x-route']]).toEqual(['v2', '/direct', undefined]);
  });
});

describe('policy on the routed clients', () => {
  const flaky = async (): Promise<{ server: RunningServer; hits: () => number }> => {
    let n = 0;
    const server = await serve((_req, res) => {
      n++;
      res.statusCode = n % 2 === 1 ? 503 : 200;
      res.end(JSON.stringify({ version: `try-${n}`, path: '', body: '', headers: {} }));
    });
    servers.push(server);
    return { server, hits: () => n };
  };
  // A minimal runner for this test: retry once on 5xx. The Istio runner is @dyeline/http's createRoutePolicyRunner.
  const retryOnce: RoutedClientOptions['runPolicy'] = async (_policy, call) => {
    const first = await call(1, undefined);
    if (first.status < 500) return first;
    await first.body?.cancel();
    return call(2, undefined);
  };

  it('axios: the runner sees every try, and validateStatus applies to the final result only', async () => {
    const { server, hits } = await flaky();
    const r = createRouter({ instances: [{ service: 'flaky', address: `127.0.0.1:${server.port}`, labels: {} }] });
    const instance = axios.create();
    routedAxios(instance, { router: r, runPolicy: retryOnce });
    const res = await instance.get<{ version: string }>('http://flaky/');
    expect([res.status, res.data.version, hits()]).toEqual([200, 'try-2', 2]);
    // Without retries the 503 reaches axios' validateStatus and rejects as axios would.
    const plain = axios.create();
    routedAxios(plain, { router: r });
    await expect(plain.get('http://flaky/')).rejects.toMatchObject({ isAxiosError: true, response: { status: 503 } });
  });

  it('axios: a response the runner makes itself (an injected abort) becomes an axios result', async () => {
    const instance = axios.create();
    routedAxios(instance, { router: router(), runPolicy: async () => new Response('fault filter abort', { status: 418 }) });
    await expect(instance.get('http://greeter/')).rejects.toMatchObject({ response: { status: 418, data: 'fault filter abort' } });
  });

  it("fetch and axios: the route's retries through createRoutePolicyRunner retry a 503", async () => {
    const { server, hits } = await flaky();
    const rules = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: flaky }
spec:
  hosts: [flaky]
  http:
  - retries: { attempts: 2, retryOn: 5xx }
    route: [{ destination: { host: flaky } }]
`;
    const r = createRouter({ instances: [{ service: 'flaky', address: `127.0.0.1:${server.port}`, labels: {} }], rules });
    const runPolicy = createRoutePolicyRunner({ backoff: { initial: 1, max: 1 } });
    const fetch = routedFetch({ router: r, runPolicy });
    const res = await fetch('http://flaky/');
    expect([res.status, ((await res.json()) as { version: string }).version, hits()]).toEqual([200, 'try-2', 2]);
    const instance = axios.create();
    routedAxios(instance, { router: r, runPolicy });
    expect([(await instance.get<{ version: string }>('http://flaky/')).data.version, hits()]).toEqual(['try-4', 4]);
  });

  it('node:http: the route timeout aborts the request', async () => {
    const slow = await serve(() => undefined);
    servers.push(slow);
    const rules = RULES.replace('  - headers:', '  - timeout: 0.1s\n    route: [{ destination: { host: greeter, subset: v1 } }]\n  - headers:');
    const r = createRouter({ instances: [{ service: 'greeter', address: `127.0.0.1:${slow.port}`, labels: { version: 'v1' } }], rules });
    const request = routedHttpRequest({ router: r });
    const error = await new Promise<Error>((resolve) => {
      const req = request('http://greeter/', (res) => res.resume());
      req.on('error', resolve);
      req.end();
    });
    expect(error.name).toMatch(/AbortError|TimeoutError/);
  });

  it('node:http rejects runPolicy and bad options when built; axios rejects a non-instance', () => {
    expect(() => routedHttpRequest({ router: router(), runPolicy: retryOnce })).toThrow(/runPolicy is not supported/);
    expect(() => routedHttpRequest({ router: router(), mirrorBodyLimit: -1 })).toThrow(/mirrorBodyLimit/);
    expect(() => routedHttpRequest({ router: {} as never })).toThrow(/routedHttpRequest: router must be a Router/);
    expect(() => routedAxios({} as never, { router: router() })).toThrow(/axios instance/);
    expect(() => routedAxios(axios.create(), { router: router(), onDecision: 1 as never })).toThrow(/routedAxios: onDecision must be a function/);
  });
});
