import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { createRouter } from '@dyeline/routing';
import type { Instance, RoutePolicy } from '@dyeline/routing';
import { installFetchPropagation } from './install-fetch-propagation.js';
import { routedFetch } from './routed-fetch.js';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const mirrored: { path: string | undefined; body: string; user: string | undefined }[] = [];
let mirrorHangs = false;
const instances: Instance[] = [];
beforeAll(async () => {
  const echo = (version: string) => (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(JSON.stringify({ version, path: req.url, body, headers: req.headers })));
  };
  instances.push({ service: 'greeter', address: await serve(echo('v1')), labels: { version: 'v1' } });
  instances.push({
    service: 'greeter',
    address: await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        mirrored.push({ path: req.url, body, user: req.headers['x-user'] as string | undefined });
        if (!mirrorHangs) res.end('mirror');
        // else: never answers — the main call must not wait for it.
      });
    }),
    labels: { version: 'v2' },
  });
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
  - headers:
      request:
        set: { x-route: mirrored }
        remove: [x-secret]
    mirror: { host: greeter, subset: v2 }
    timeout: 3s
    retries: { attempts: 4, perTryTimeout: 1s, retryOn: 5xx }
    fault:
      abort: { httpStatus: 503, percentage: { value: 0 } }
    route:
    - destination: { host: greeter, subset: v1 }
`;

describe('routedFetch', () => {
  it('routes a logical host, applies header edits and mirrors a copy', async () => {
    const fetch = routedFetch({ router: createRouter({ instances, rules: RULES }) });
    const res = await fetch('http://greeter/hello?x=1', { method: 'POST', body: 'payload', headers: { 'x-user': 'ann', 'x-secret': 's' } });
    const body = (await res.json()) as { version: string; path: string; body: string; headers: Record<string, string> };
    expect(body).toMatchObject({ version: 'v1', path: '/hello?x=1', body: 'payload' });
    expect(body.headers['x-route']).toBe('mirrored');
    expect(body.headers['x-secret']).toBeUndefined();
    await expect.poll(() => mirrored.length).toBeGreaterThan(0);
    expect(mirrored.at(-1)).toEqual({ path: '/hello?x=1', body: 'payload', user: 'ann' });
  });

  it('a mirror that never answers neither delays nor fails the main call', async () => {
    mirrorHangs = true;
    try {
      const onError = vi.fn();
      const fetch = routedFetch({ router: createRouter({ instances, rules: RULES }), onError });
      const before = mirrored.length;
      for (let i = 0; i < 3; i++) expect((await (await fetch('http://greeter/x')).json()) as object).toMatchObject({ version: 'v1' });
      await expect.poll(() => mirrored.length).toBe(before + 3);
      expect(onError).not.toHaveBeenCalled();
    } finally {
      mirrorHangs = false;
    }
  });

  it('hands the route policy to the runner, which owns the tries', async () => {
    const seen: RoutePolicy[] = [];
    const fetch = routedFetch({
      router: createRouter({ instances, rules: RULES }),
      runPolicy: async (policy, call) => {
        seen.push(policy);
        await call(1, undefined);
        return call(2, AbortSignal.timeout(policy.retries.perTryTimeoutMs ?? 1000));
      },
    });
    expect(((await (await fetch('http://greeter/')).json()) as { version: string }).version).toBe('v1');
    expect(seen[0]).toMatchObject({ timeoutMs: 3000, retries: { attempts: 4, perTryTimeoutMs: 1000, retryOn: ['5xx'] }, fault: { abort: { httpStatus: 503, percent: 0 } } });
  });

  it('passes other hosts through untouched and routes by the current tag', async () => {
    const router = createRouter({
      instances,
      rules: RULES.replace('  - headers:', '  - match: [{ headers: { x-color: { exact: blue } } }]\n    route: [{ destination: { host: greeter, subset: v2 } }]\n  - headers:'),
    });
    const fetch = routedFetch({ router });
    const direct = await fetch(`http://${instances[0]?.address}/direct`);
    expect(((await direct.json()) as { path: string }).path).toBe('/direct');
    const blue = await runWithTag(createTag({ color: 'blue' }), () => fetch('http://greeter/'));
    expect(await blue.text()).toBe('mirror');
  });

  it('composes with the global fetch propagation: the routed call carries the tag', async () => {
    const uninstall = installFetchPropagation();
    try {
      const fetch = routedFetch({ router: createRouter({ instances: instances.slice(0, 1) }) });
      const res = await runWithTag(createTag({ color: 'feature-42', user: 'ann' }), () => fetch('http://greeter/tagged'));
      const body = (await res.json()) as { version: string; headers: Record<string, string> };
      expect(body.version).toBe('v1');
      expect([body.headers['x-color'], body.headers['x-user']]).toEqual(['feature-42', 'ann']);
    } finally {
      uninstall();
    }
  });

  it('validates options when built', () => {
    expect(() => routedFetch({ router: {} as never })).toThrow(/router must be a Router/);
    expect(() => routedFetch({ router: createRouter({ instances }), onError: 1 as never })).toThrow(/onError must be a function/);
  });
});
