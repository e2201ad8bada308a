import { ROOT_CONTEXT } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { DyelinePropagator } from './dyeline-propagator.js';
import { dyelineSpanProcessor } from './span-processor.js';

function setup(options: Parameters<typeof dyelineSpanProcessor>[0]) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [dyelineSpanProcessor(options), new SimpleSpanProcessor(exporter)] });
  return { tracer: provider.getTracer('t'), exporter };
}

describe('dyelineSpanProcessor', () => {
  it('annotates spans started inside a tag; user and extras only when asked', () => {
    const { tracer, exporter } = setup({ includeUser: true, extra: ['tenant'], subset: () => 'v2' });
    runWithTag(createTag({ color: 'c', user: 'u', extra: { tenant: 't1' } }), () => tracer.startSpan('s').end());
    expect(exporter.getFinishedSpans()[0]?.attributes).toEqual({
      'dyeline.color': 'c', 'dyeline.user': 'u', 'dyeline.tenant': 't1', 'dyeline.subset': 'v2',
    });
  });

  it('uses the tag extracted into the parent context when dyeline ingress has not run', () => {
    const { tracer, exporter } = setup({});
    const ctx = new DyelinePropagator().extract(ROOT_CONTEXT, { baggage: 'color=p,user=secret' }, { get: (c, k) => (c as Record<string, string>)[k], keys: Object.keys });
    tracer.startSpan('s', {}, ctx).end();
    expect(exporter.getFinishedSpans()[0]?.attributes).toEqual({ 'dyeline.color': 'p' });
    runWithTag(createTag({ shadow: true }), () => tracer.startSpan('shadow').end());
    expect(exporter.getFinishedSpans()[1]?.attributes).toEqual({ 'dyeline.shadow': true });
  });

  it('adds nothing outside a request, and a throwing subset() does not break spans', () => {
    const { tracer, exporter } = setup({ subset: () => { throw new Error('x'); } });
    tracer.startSpan('s').end();
    expect(exporter.getFinishedSpans()[0]?.attributes).toEqual({});
  });

  it('rejects bad options at construction', () => {
    expect(() => dyelineSpanProcessor({ subset: 3 as never })).toThrow(/options.subset/);
    expect(() => dyelineSpanProcessor({ extra: 'x' as never })).toThrow(/options.extra/);
  });
});
