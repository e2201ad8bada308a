// Micro-benchmark of one request through an OpenTelemetry propagator, without
// any server: `extract` from the incoming headers, then `inject` into an
// outbound carrier. W3CBaggagePropagator vs DyelinePropagator, the latter
// alone (a service traced by OpenTelemetry only) and inside a dyeline tag
// read from the same headers (dyeline ingress's read counted in). The last
// two rows add what a traced request also does around the propagator: a
// server span and a client span from the real SDK, and for dyeline its span
// processor's onStart on both — everything a service with dyeline runs per
// request that OpenTelemetry alone does not, next to what it no longer runs.
// Interleaved rounds, median ns per request.
//   pnpm bench --suite otel-propagator [--rounds 15] [--ops 100000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import type { Context, TextMapPropagator } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createIngress, incomingHeadersGetter, runWithTag } from '@dyeline/core';
// Not a dependency of bench/: the built package, as bench/otel.ts loads it.
import { DyelinePropagator, dyelineSpanProcessor } from '../packages/otel/dist/index.js';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const rounds = numberArg('rounds', 15);
const ops = numberArg('ops', 100_000);

const BAGGAGE = 'color=feature-42,user=alice,k1=v1,k2=v2';
const headers = { host: '127.0.0.1:3000', 'user-agent': 'autocannon', accept: '*/*', baggage: BAGGAGE };
const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.0/8'] } });

let sink = 0;
/** What runs between extract and inject: nothing, or the request's two spans. */
type Between = (context: Context) => void;
function once(propagator: TextMapPropagator, between?: Between): void {
  // A new header object per request, as a server gets.
  const incoming = { ...headers };
  const context = propagator.extract(ROOT_CONTEXT, incoming, defaultTextMapGetter);
  between?.(context);
  const outbound: Record<string, string> = {};
  propagator.inject(context, outbound, defaultTextMapSetter);
  sink += outbound.baggage?.length ?? 0;
}

// A provider with no processor: its spans cost the same in both rows, and
// dyeline's processor is called as the SDK calls each one, at span start.
const tracer = new BasicTracerProvider().getTracer('bench');
const processor = dyelineSpanProcessor();
function twoSpans(annotate: boolean): Between {
  return (context) => {
    const server = tracer.startSpan('GET /', { kind: SpanKind.SERVER }, context);
    if (annotate) processor.onStart(server as never, context);
    const inServer = trace.setSpan(context, server);
    const client = tracer.startSpan('GET', { kind: SpanKind.CLIENT }, inServer);
    if (annotate) processor.onStart(client as never, inServer);
    client.end();
    server.end();
  };
}
const plainSpans = twoSpans(false);
const annotatedSpans = twoSpans(true);

const w3c = new W3CBaggagePropagator();
const dyeline = new DyelinePropagator();
const variants: Record<string, () => void> = {
  W3CBaggagePropagator: () => once(w3c),
  'DyelinePropagator, OpenTelemetry alone': () => once(dyeline),
  // The ingress's own read is counted too: it is the parse the propagator then need not do.
  'DyelinePropagator + ingress.read + runWithTag': () => {
    const { tag } = ingress.read({ ...headers }, incomingHeadersGetter, '127.0.0.1');
    runWithTag(tag, () => once(dyeline));
  },
  'W3CBaggagePropagator, two spans': () => once(w3c, plainSpans),
  'DyelinePropagator + ingress.read + runWithTag, two spans + span processor': () => {
    const { tag } = ingress.read({ ...headers }, incomingHeadersGetter, '127.0.0.1');
    runWithTag(tag, () => once(dyeline, annotatedSpans));
  },
};

function round(fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) fn();
  return Number(process.hrtime.bigint() - start) / ops;
}

const names = Object.keys(variants);
const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (const name of names) round(variants[name]!); // warm-up
for (let r = 0; r < rounds; r++) for (const name of names) samples[name]!.push(round(variants[name]!));

const base = median(samples.W3CBaggagePropagator!);
const results = names.map((name) => ({
  variant: name,
  medianNsPerRequest: Math.round(median(samples[name]!)),
  ratioToW3C: +(median(samples[name]!) / base).toFixed(2),
}));
console.log(`extract + inject of "${BAGGAGE}", ${rounds} interleaved rounds × ${ops} ops, Node ${process.version}`);
console.table(results);
if (sink < 0) console.log(sink);

const dir = join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'otel-propagator.json'), `${JSON.stringify({ node: process.version, rounds, ops, results, at: new Date().toISOString() }, null, 2)}\n`);
