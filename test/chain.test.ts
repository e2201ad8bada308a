/**
 * A three-hop chain on real servers — Koa (gateway, @koa/router) → Express →
 * Koa — each hop with its own ingress and a different outbound client. The
 * tag read at the gateway must arrive intact at the last hop, with the
 * caller's unrelated baggage members.
 */
import { createServer } from 'node:http';
import http from 'node:http';
import Router from '@koa/router';
import { currentTag } from '@dyeline/core';
import { dyeline as expressDyeline } from '@dyeline/express';
import { installFetchPropagation, wrapHttpRequest } from '@dyeline/http';
import { axiosPropagation } from '@dyeline/http/axios';
import { dyeline as koaDyeline } from '@dyeline/koa';
import axios from 'axios';
import express from 'express';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

// Every hop is inside the mesh: callers on loopback are trusted. `tenant` is an extra entry.
const options = { trust: { trustedCidrs: ['127.0.0.1/32'] }, extra: ['tenant'] };

describe('Koa → Express → Koa', () => {
  const servers: RunningServer[] = [];
  let gateway: RunningServer;
  let uninstallFetch: () => void;

  beforeAll(async () => {
    // Hop 3: Koa, reports what it received and the tag it runs under.
    const last = new Koa();
    last.use(koaDyeline(options));
    last.use((ctx) => {
      ctx.body = { tag: currentTag()?.toJSON(), baggage: ctx.get('baggage'), headers: ctx.headers };
    });
    const lastServer = await listen(createServer(last.callback()));

    // Hop 2: Express, calls hop 3 with axios, then with the node:http wrapper; answers what hop 3 said.
    const client = axios.create();
    axiosPropagation(client, { extra: ['tenant'] });
    const request = wrapHttpRequest(http.request, { extra: ['tenant'] });
    const middle = express();
    middle.use(expressDyeline(options));
    middle.get('/', async (_req, res, next) => {
      try {
        const viaAxios = (await client.get<unknown>(lastServer.url)).data;
        const viaHttp = await new Promise<unknown>((resolve, reject) => {
          request(lastServer.url, (response) => {
            let body = '';
            response.on('data', (chunk: Buffer) => (body += chunk.toString()));
            response.on('end', () => resolve(JSON.parse(body)));
          }).on('error', reject).end();
        });
        res.json({ viaAxios, viaHttp });
      } catch (error) {
        next(error);
      }
    });
    const middleServer = await listen(createServer(middle));

    // Hop 1: the gateway, Koa + @koa/router, calls hop 2 with the global fetch.
    uninstallFetch = installFetchPropagation({ extra: ['tenant'] });
    const first = new Koa();
    const router = new Router();
    router.get('/api', async (ctx) => {
      ctx.body = await (await fetch(middleServer.url)).json();
    });
    first.use(koaDyeline(options));
    first.use(router.routes());
    gateway = await listen(createServer(first.callback()));
    servers.push(lastServer, middleServer, gateway);
  });

  afterAll(async () => {
    uninstallFetch();
    await Promise.all(servers.map((server) => server.close()));
  });

  it('the tag arrives intact at the last hop, with the extra baggage preserved', async () => {
    const response = await fetch(`${gateway.url}/api`, {
      headers: {
        'x-color': 'feature-42',
        'x-user': 'alice',
        'x-shadow': '1',
        baggage: 'tenant=acme, sd-routing-key=abc;ttl=3 ,other=%22quoted%22',
      },
    });
    expect(response.status).toBe(200);
    const { viaAxios, viaHttp } = (await response.json()) as Record<string, { tag: unknown; baggage: string; headers: Record<string, string> }>;
    for (const last of [viaAxios!, viaHttp!]) {
      expect(last.tag).toEqual({ color: 'feature-42', user: 'alice', shadow: true, extra: { tenant: 'acme' } });
      expect(last.headers['x-color']).toBe('feature-42');
      expect(last.headers.tenant).toBe('acme');
      const members = last.baggage.split(',');
      expect(members).toEqual(expect.arrayContaining(['color=feature-42', 'user=alice', 'shadow=1', 'tenant=acme', 'sd-routing-key=abc;ttl=3', 'other=%22quoted%22']));
      expect(members).toHaveLength(6);
    }
  });

  it('an untagged request stays untagged to the last hop', async () => {
    const { viaAxios } = (await (await fetch(`${gateway.url}/api`)).json()) as Record<string, { tag: unknown; baggage: string; headers: Record<string, string> }>;
    expect(viaAxios!.tag).toEqual({});
    expect(viaAxios!.baggage).toBe('');
    expect(viaAxios!.headers['x-color']).toBeUndefined();
  });
});
