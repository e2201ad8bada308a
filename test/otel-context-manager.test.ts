// DyelineContextManager with the real OpenTelemetry SDK and http
// instrumentation: OpenTelemetry's context rides in dyeline's
// AsyncLocalStorage, and each side keeps the other's state in its scopes.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as NodeHttp from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { ROOT_CONTEXT, context, createContextKey, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpGet } from './helpers/node-http-get.js';
import { contextStorage, createTag, currentContext, currentTag, runWithTag } from '@dyeline/core';
import { wrapImplementation } from '@dyeline/grpc';
import { dyeline, timeout } from '@dyeline/koa';
import { DyelinePropagator } from '@dyeline/otel';
import { DyelineContextManager } from '@dyeline/otel/context-manager';

const exporter = new InMemorySpanExporter();
const manager = new DyelineContextManager();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register({
  contextManager: manager,
  propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new DyelinePropagator()] }),
});
registerInstrumentations({ instrumentations: [new HttpInstrumentation()], tracerProvider: provider });
// The instrumentation patches on require; ESM's default import is the same object.
const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
const tracer = trace.getTracer('otel-context-manager');
const KEY = createContextKey('test.key');

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}/`));
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  return nodeHttpGet(http, url, headers);
}

describe('DyelineContextManager: one store for both', () => {
  it('OpenTelemetry context and the dyeline tag live in the same AsyncLocalStorage', () => {
    const ctx = ROOT_CONTEXT.setValue(KEY, 'v');
    context.with(ctx, () => {
      expect(context.active()).toBe(ctx);
      // Leaving dyeline's storage leaves OpenTelemetry's context too: there is one store.
      expect(contextStorage().exit(() => context.active())).toBe(ROOT_CONTEXT);
    });
  });

  it('outside any request an OpenTelemetry scope is no dyeline request', () => {
    context.with(ROOT_CONTEXT.setValue(KEY, 'v'), () => {
      expect(currentTag()).toBeUndefined();
      expect(currentContext()).toBeUndefined();
    });
  });

  it('each side keeps the other: with() keeps the tag, runWithTag() keeps the context', async () => {
    const ctx = ROOT_CONTEXT.setValue(KEY, 'outer');
    const tag = createTag({ color: 'blue' });
    await context.with(ctx, () =>
      runWithTag(tag, async () => {
        await sleep(1);
        expect(context.active()).toBe(ctx);
        expect(currentTag()).toBe(tag);
        const inner = ctx.setValue(KEY, 'inner');
        await context.with(inner, async () => {
          await sleep(1);
          expect(currentTag()).toBe(tag);
          expect(context.active().getValue(KEY)).toBe('inner');
        });
        expect(context.active()).toBe(ctx);
      }),
    );
    expect(context.active()).toBe(ROOT_CONTEXT);
  });

  it('bind() restores the bound context and keeps the tag in force where it runs, as two stores would', () => {
    const ctx = ROOT_CONTEXT.setValue(KEY, 'bound');
    const bound = context.bind(ctx, () => [context.active().getValue(KEY), currentTag()?.color]);
    expect(runWithTag(createTag({ color: 'red' }), bound)).toEqual(['bound', 'red']);
    const emitter = context.bind(ctx, new EventEmitter());
    let seen: unknown;
    emitter.on('x', () => (seen = context.active().getValue(KEY)));
    emitter.emit('x');
    expect(seen).toBe('bound');
  });

  it('attach() sets the context until dispose(), once', () => {
    const before = ROOT_CONTEXT.setValue(KEY, 'before');
    context.with(before, () => {
      const token = manager.attach(ROOT_CONTEXT.setValue(KEY, 'attached'));
      expect(context.active().getValue(KEY)).toBe('attached');
      token.dispose();
      expect(context.active()).toBe(before);
      token.dispose();
      expect(context.active()).toBe(before);
    });
  });

  it('disable() leaves dyeline carrying tags', () => {
    const tag = createTag({ color: 'green' });
    // Disabling an AsyncLocalStorage empties it at once: the tag in force must survive.
    runWithTag(tag, () => {
      manager.disable();
      expect(currentTag()).toBe(tag);
    });
    manager.enable();
  });
});

describe('DyelineContextManager with http instrumentation and Koa ingress', () => {
  let server: Server;
  let downstream: Server;
  let url = '';
  let downstreamHeaders: IncomingHttpHeaders = {};

  beforeAll(async () => {
    downstream = http.createServer((req, res) => {
      downstreamHeaders = req.headers;
      res.end('ok');
    });
    const downstreamUrl = await listen(downstream);
    const app = new Koa();
    // A timeout scope first: dyeline ingress derives from it, and both carry the span on.
    app.use(timeout({ ms: 5_000 }));
    app.use(dyeline({ trust: { trustedCidrs: ['127.0.0.1/32'] } }));
    app.use(async (ctx) => {
      const serverSpan = trace.getActiveSpan();
      await sleep(1);
      const inner = tracer.startActiveSpan('inner', (span) => {
        span.end();
        return span as unknown as ReadableSpan;
      });
      await get(downstreamUrl);
      ctx.body = {
        color: currentTag()?.color,
        sameSpan: trace.getActiveSpan() === serverSpan,
        serverTraceId: serverSpan?.spanContext().traceId,
        innerParent: inner.parentSpanContext?.spanId,
        serverSpanId: serverSpan?.spanContext().spanId,
      };
    });
    server = http.createServer(app.callback());
    url = await listen(server);
  });

  afterAll(() => {
    server.close();
    downstream.close();
  });

  it('handlers see the server span and the tag after awaits; outbound calls carry both', async () => {
    const body = JSON.parse(await get(url, { 'x-color': 'feature-7' })) as Record<string, string | boolean | undefined>;
    expect(body.color).toBe('feature-7');
    expect(body.sameSpan).toBe(true);
    expect(body.serverSpanId).toMatch(/^[0-9a-f]{16}$/);
    expect(body.innerParent).toBe(body.serverSpanId);
    expect(downstreamHeaders['x-color']).toBe('feature-7');
    expect(downstreamHeaders.traceparent).toContain(body.serverTraceId as string);
  });

  it('concurrent requests keep their own span and tag', async () => {
    const colors = Array.from({ length: 50 }, (_, i) => `c${i}`);
    const bodies = await Promise.all(colors.map((color) => get(url, { 'x-color': color })));
    const seen = bodies.map((b) => JSON.parse(b) as { color: string; serverTraceId: string; sameSpan: boolean });
    expect(seen.map((s) => s.color)).toEqual(colors);
    expect(seen.every((s) => s.sameSpan)).toBe(true);
    expect(new Set(seen.map((s) => s.serverTraceId)).size).toBe(colors.length);
  });
});

describe('DyelineContextManager with a grpc-js service', () => {
  const proto = loadSync(new URL('../examples/proto/greeter.proto', import.meta.url).pathname, { defaults: true });
  const Greeter = (grpc.loadPackageDefinition(proto) as unknown as {
    dyeline: { greeter: { Greeter: grpc.ServiceClientConstructor } };
  }).dyeline.greeter.Greeter;
  let server: grpc.Server;
  let client: grpc.Client & { sayHello: (req: object, md: grpc.Metadata, cb: (e: unknown, r: { message: string }) => void) => void };

  beforeAll(async () => {
    server = new grpc.Server();
    const seen = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<{ message: string }>) =>
      callback(null, { message: `${String(context.active().getValue(KEY))}/${currentTag()?.color ?? '-'}` });
    const wrapped = wrapImplementation({ sayHello: seen }, { trust: { trustedCidrs: ['127.0.0.1/32'] } });
    // What OpenTelemetry's grpc instrumentation does: the handler runs inside the server span's context.
    server.addService(Greeter.service, {
      sayHello: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<{ message: string }>) =>
        context.with(ROOT_CONTEXT.setValue(KEY, 'span'), () => wrapped.sayHello(call, callback)),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as typeof client;
  });

  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  const call = (metadata: grpc.Metadata) =>
    new Promise<string>((resolve, reject) => client.sayHello({ name: 'x' }, metadata, (e, r) => (e ? reject(e) : resolve(r.message))));

  it('the handler keeps the context it was called in, tagged or not', async () => {
    const tagged = new grpc.Metadata();
    tagged.set('x-color', 'lane-3');
    expect(await call(tagged)).toBe('span/lane-3');
    expect(await call(new grpc.Metadata())).toBe('span/-');
  });
});
