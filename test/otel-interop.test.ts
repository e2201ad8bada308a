// Interop with the real OpenTelemetry SDK: http instrumentation patches
// node:http in this process, so every server and client below is traced and
// propagates through the global propagator (DyelinePropagator).
import { createRequire } from 'node:module';
import { context, propagation, trace } from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type * as NodeHttp from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeHttpGet } from './helpers/node-http-get.js';
import { createIngress, currentTag, incomingHeadersGetter, runWithTag } from '@dyeline/core';
import type { IngressOptions } from '@dyeline/core';
import { DyelinePropagator, dyelineSpanProcessor, tagFromContext } from '@dyeline/otel';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  spanProcessors: [dyelineSpanProcessor({ subset: 'v1' }), new SimpleSpanProcessor(exporter)],
});
provider.register({
  propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new DyelinePropagator()] }),
});
const instrumentation = new HttpInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: provider });
// The instrumentation patches on require; ESM's default import is the same object.
const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
const tracer = trace.getTracer('otel-interop');

interface Seen {
  tag: Record<string, unknown> | undefined;
  headers: IncomingHttpHeaders;
}

function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${address.port}/` });
    });
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  return nodeHttpGet(http, url, headers);
}

/** A dyeline ingress on plain node:http (what @dyeline/koa and /express do per request). */
function dyelineService(options: IngressOptions, then: (res: ServerResponse, req: IncomingMessage) => void) {
  const ingress = createIngress(options);
  return listen((req, res) => {
    const { tag } = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
    runWithTag(tag, () => then(res, req));
  });
}

const servers: Server[] = [];
let lastUrl = '';
let middleUrl = '';
let untrustedUrl = '';
let echoUrl = '';
let middleSawTag: unknown;

beforeAll(async () => {
  // Last hop: dyeline ingress trusting loopback; reports the tag it runs under.
  const last = await dyelineService({ trust: { trustedCidrs: ['127.0.0.1/32'] } }, (res, req) => {
    tracer.startActiveSpan('last-hop-work', (span) => span.end());
    const seen: Seen = { tag: currentTag()?.toJSON(), headers: req.headers };
    res.end(JSON.stringify(seen));
  });
  // Middle: instrumented only with OpenTelemetry; no dyeline code at all.
  const middle = await listen((req, res) => {
    middleSawTag = tagFromContext(context.active())?.toJSON();
    get(lastUrl).then((body) => res.end(body), () => res.end('{}'));
  });
  // Echo: what arrived on the wire.
  const echo = await listen((req, res) => res.end(JSON.stringify({ tag: undefined, headers: req.headers })));
  // A dyeline service that trusts nobody, calling out with no dyeline wrapper.
  const untrusted = await dyelineService({}, (res) => {
    get(echoUrl).then((body) => res.end(body), () => res.end('{}'));
  });
  servers.push(last.server, middle.server, echo.server, untrusted.server);
  lastUrl = last.url;
  middleUrl = middle.url;
  echoUrl = echo.url;
  untrustedUrl = untrusted.url;
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  instrumentation.disable();
  await provider.shutdown();
});

function sendWithBaggage(url: string, entries: Record<string, string>): Promise<Seen> {
  const baggage = propagation.createBaggage(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { value: v }])));
  return tracer.startActiveSpan('sender', (span) =>
    context.with(propagation.setBaggage(context.active(), baggage), async () => {
      try {
        return JSON.parse(await get(url)) as Seen;
      } finally {
        span.end();
      }
    }),
  );
}

async function spansNamed(predicate: (name: string) => boolean, count: number) {
  for (let i = 0; i < 100; i++) {
    const spans = exporter.getFinishedSpans().filter((s) => predicate(s.name));
    if (spans.length >= count) return spans;
    await new Promise((r) => setTimeout(r, 10));
  }
  return exporter.getFinishedSpans().filter((s) => predicate(s.name));
}

describe('OpenTelemetry interop', () => {
  it('an OTel-only service in the middle passes the tag on, with unrelated baggage', async () => {
    exporter.reset();
    const seen = await sendWithBaggage(middleUrl, { color: 'feature-42', user: 'alice', other: 'keep me' });
    expect(seen.tag).toEqual({ color: 'feature-42', user: 'alice' });
    expect(seen.headers.baggage).toContain('other=keep%20me');
    expect(middleSawTag).toEqual({ color: 'feature-42', user: 'alice' });
    // All three hops are one trace.
    const spans = await spansNamed(() => true, 5);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('a tag sent by an OTel service is read by dyeline ingress, shadow included', async () => {
    const seen = await sendWithBaggage(lastUrl, { color: 'blue', shadow: '1' });
    expect(seen.tag).toEqual({ color: 'blue', shadow: true });
  });

  it('dedicated headers read by the propagator travel on as baggage through an OTel-only hop', async () => {
    const seen = JSON.parse(await get(middleUrl, { 'x-color': 'green', baggage: 'color=ignored,a=1' })) as Seen;
    expect(seen.tag).toEqual({ color: 'green' });
    expect(seen.headers.baggage).toContain('a=1');
  });

  it('spans carry dyeline.color, dyeline.shadow and dyeline.subset; dyeline.user only on request', async () => {
    exporter.reset();
    await sendWithBaggage(middleUrl, { color: 'feature-7', user: 'bob', shadow: '1' });
    const spans = await spansNamed((n) => n !== 'sender', 5);
    const servers = spans.filter((s) => s.kind === 1 /* SERVER */);
    expect(servers).toHaveLength(2);
    const work = spans.find((s) => s.name === 'last-hop-work');
    for (const span of [...servers, work]) {
      expect(span?.attributes['dyeline.color']).toBe('feature-7');
      expect(span?.attributes['dyeline.shadow']).toBe(true);
      expect(span?.attributes['dyeline.subset']).toBe('v1');
      expect(span?.attributes['dyeline.user']).toBeUndefined();
    }
  });

  it('inside dyeline ingress the judged tag wins: an untrusted color is not passed on', async () => {
    const seen = await sendWithBaggage(untrustedUrl, { color: 'evil', shadow: '1', other: '1' });
    expect(seen.headers.baggage).toBe('other=1');
    expect(seen.headers['x-color']).toBeUndefined();
  });
});
