// A cross-protocol chain keeps the tag at every hop:
//   fetch → Koa (dyeline ingress) → gRPC (wrapped) → fetch → Express (dyeline
//   ingress) → gRPC greeter (the example) → reply back up the chain.
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { currentTag } from '@dyeline/core';
import type { IngressOptions } from '@dyeline/core';
import { dyeline as expressIngress } from '@dyeline/express';
import { addDyelineService } from '@dyeline/grpc';
import { installFetchPropagation } from '@dyeline/http';
import { dyeline as koaIngress } from '@dyeline/koa';
import express from 'express';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, loadGreeter, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter, HelloReply } from '../examples/grpc-greeter.js';

const TRUST: IngressOptions = { trust: { trustedCidrs: ['127.0.0.0/8', '::1/128'] } };
const seenColor = (): string => currentTag()?.color ?? '';
const seenBaggage = (): string => currentTag()?.passthroughBaggage ?? '';

interface Hop {
  hop: string;
  color: string;
  baggage?: string;
}

function listen(server: HttpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('grpc: cross-protocol chain Koa → gRPC → Express → gRPC', () => {
  let last: GrpcGreeter;
  let expressServer: HttpServer;
  let middle: grpc.Server;
  let koaServer: HttpServer;
  let koaPort: number;
  const clients: GreeterClient[] = [];
  let uninstall: (() => void) | undefined;

  beforeAll(async () => {
    uninstall = installFetchPropagation();
    // Hop 4: the gRPC greeter example.
    last = await startGrpcGreeter({ version: 'v2' });
    const lastClient = greeterClient(`127.0.0.1:${last.port}`);
    clients.push(lastClient);
    // Hop 3: Express, calls hop 4 over gRPC.
    const app = express();
    app.use(expressIngress(TRUST));
    app.get('/hello', async (_req, res) => {
      const before = seenColor();
      const reply = await sayHello(lastClient, { name: 'express' });
      res.json({ hops: [{ hop: 'express', color: before, baggage: seenBaggage() }, { hop: 'express after await', color: seenColor() }], reply });
    });
    expressServer = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => expressServer.once('listening', resolve));
    const expressPort = (expressServer.address() as AddressInfo).port;
    // Hop 2: a gRPC service that calls hop 3 with fetch.
    middle = new grpc.Server();
    const { service } = loadGreeter();
    addDyelineService(
      middle,
      service,
      {
        async sayHello(_call: grpc.ServerUnaryCall<unknown, HelloReply>, callback: grpc.sendUnaryData<Partial<HelloReply>>) {
          const before = seenColor();
          const response = await fetch(`http://127.0.0.1:${expressPort}/hello`);
          const body = (await response.json()) as { hops: Hop[]; reply: HelloReply };
          const hops: Hop[] = [{ hop: 'grpc middle', color: before, baggage: seenBaggage() }, { hop: 'grpc middle after fetch', color: seenColor() }, ...body.hops];
          callback(null, { message: JSON.stringify({ hops, last: body.reply }), version: 'middle' });
        },
      },
      TRUST,
    );
    const middlePort = await new Promise<number>((resolve, reject) =>
      middle.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const middleClient = greeterClient(`127.0.0.1:${middlePort}`);
    clients.push(middleClient);
    // Hop 1: the Koa edge, calls hop 2 over gRPC.
    const koa = new Koa();
    koa.use(koaIngress(TRUST));
    koa.use(async (ctx) => {
      const before = seenColor();
      const reply = await sayHello(middleClient, { name: 'koa' });
      const inner = JSON.parse(reply.message) as { hops: Hop[]; last: HelloReply };
      ctx.body = { hops: [{ hop: 'koa', color: before, baggage: seenBaggage() }, ...inner.hops, { hop: 'grpc last', color: inner.last.tag?.color ?? '' }], last: inner.last };
    });
    koaServer = createServer(koa.callback());
    koaPort = await listen(koaServer);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    uninstall?.();
    koaServer?.close();
    expressServer?.close();
    middle?.forceShutdown();
    await last?.close();
  });

  it('the tag reaches the last gRPC hop intact, extra baggage too', async () => {
    const response = await fetch(`http://127.0.0.1:${koaPort}/`, {
      headers: { 'x-color': 'feature-42', 'x-user': 'alice', baggage: 'tenant=acme,session=s1' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { hops: Hop[]; last: HelloReply };
    expect(body.hops.map((h) => h.hop)).toEqual(['koa', 'grpc middle', 'grpc middle after fetch', 'express', 'express after await', 'grpc last']);
    expect(body.hops.every((h) => h.color === 'feature-42')).toBe(true);
    // Unrelated baggage members ride along through both protocols.
    expect(body.hops.filter((h) => h.baggage !== undefined).map((h) => h.baggage)).toEqual([
      'tenant=acme,session=s1',
      'tenant=acme,session=s1',
      'tenant=acme,session=s1',
    ]);
    expect(body.last.tag).toEqual({ color: 'feature-42', user: 'alice', shadow: false });
    expect(body.last.seen.every((s) => s.color === 'feature-42')).toBe(true);
  });

  it('an untagged request stays untagged at every hop', async () => {
    const body = (await (await fetch(`http://127.0.0.1:${koaPort}/`)).json()) as { hops: Hop[] };
    expect(body.hops.every((h) => h.color === '')).toBe(true);
  });
});
