// OpenTelemetry as an application would set it up: a tracer provider whose
// spans are batched and then dropped (no network exporter to skew the
// numbers), W3C trace-context + baggage propagators, and the http
// instrumentation. Must run before `node:http` is required.
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const dropExporter: SpanExporter = {
  export: (_spans: ReadableSpan[], done) => done({ code: 0 }),
  shutdown: () => Promise.resolve(),
};

/** Registers the global tracer provider, propagators and http instrumentation. */
export function setUpOpenTelemetry(): void {
  const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropExporter)] });
  provider.register({
    propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  });
  registerInstrumentations({ instrumentations: [new HttpInstrumentation()], tracerProvider: provider });
}
