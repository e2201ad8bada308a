import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, propagation } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { RequestContext, createIngress, createTag, incomingHeadersGetter, presets, runWithContext, runWithTag } from '@dyeline/core';
import { DyelinePropagator } from './dyeline-propagator.js';
import { tagFromContext } from './tag-from-context.js';

const getter = defaultTextMapGetter;
const setter = defaultTextMapSetter;

function roundTrip(propagator: DyelinePropagator, incoming: Record<string, string>): Record<string, string> {
  const ctx = propagator.extract(ROOT_CONTEXT, incoming, getter);
  const out: Record<string, string> = {};
  propagator.inject(ctx, out, setter);
  return out;
}

describe('DyelinePropagator', () => {
  it('extract puts every baggage member into OTel Baggage, properties kept, and stores the tag', () => {
    const p = new DyelinePropagator();
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'color=red,user=u1,k=v%20w;prop=1' }, getter);
    const bag = propagation.getBaggage(ctx);
    expect(bag?.getEntry('color')?.value).toBe('red');
    expect(bag?.getEntry('k')?.value).toBe('v w');
    expect(bag?.getEntry('k')?.metadata?.toString()).toBe('prop=1');
    expect(tagFromContext(ctx)?.toJSON()).toEqual({ color: 'red', user: 'u1' });
  });

  it('a dedicated header outranks baggage, in OTel Baggage too', () => {
    const p = new DyelinePropagator();
    const ctx = p.extract(ROOT_CONTEXT, { 'x-color': 'green', baggage: 'color=red' }, getter);
    expect(propagation.getBaggage(ctx)?.getEntry('color')?.value).toBe('green');
    expect(roundTrip(p, { 'x-color': 'green', baggage: 'color=red' })).toEqual({ 'x-color': 'green', baggage: 'color=green' });
  });

  it('passes tag and unrelated members on from the OTel context alone', () => {
    const out = roundTrip(new DyelinePropagator(), { baggage: 'a=1,color=c1,shadow=1,b=2' });
    expect(out['x-color']).toBe('c1');
    expect(out['x-shadow']).toBe('1');
    expect(out.baggage?.split(',').sort()).toEqual(['a=1', 'b=2', 'color=c1', 'shadow=1']);
  });

  it('the ALS tag wins over baggage for the tag keys, and others are kept', () => {
    const p = new DyelinePropagator();
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'color=evil,other=1' }, getter);
    const out: Record<string, string> = {};
    runWithTag(createTag({ user: 'u' }), () => p.inject(ctx, out, setter));
    expect(out).toEqual({ 'x-user': 'u', baggage: 'user=u,other=1' });
  });

  it('parses the baggage when first asked, once', () => {
    const errors: unknown[] = [];
    const p = new DyelinePropagator({ onError: (e) => errors.push(e) });
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'bad key=1,ok=1,color=c' }, getter);
    expect(errors).toHaveLength(0);
    const baggage = propagation.getBaggage(ctx);
    expect(baggage?.getEntry('ok')?.value).toBe('1');
    expect(baggage?.getAllEntries().map(([key]) => key).sort()).toEqual(['color', 'ok']);
    expect(tagFromContext(ctx)?.color).toBe('c');
    expect(errors).toHaveLength(1);
    // Changes give a Baggage of their own, as OpenTelemetry's do.
    expect(baggage?.setEntry('new', { value: 'v' }).getEntry('new')?.value).toBe('v');
    expect(baggage?.getEntry('new')).toBeUndefined();
  });

  it('inside dyeline ingress, passes the request baggage on from the ingress parse alone', () => {
    const errors: unknown[] = [];
    const p = new DyelinePropagator({ onError: (e) => errors.push(e) });
    const headers = { baggage: 'bad key=1,color=blue,other=1;p=q', 'x-user': 'alice' };
    const ctx = p.extract(ROOT_CONTEXT, headers, getter);
    const result = createIngress({ trust: { allowUntrusted: ['color', 'user'] } }).read(headers, incomingHeadersGetter, '203.0.113.9');
    const out: Record<string, string> = {};
    runWithContext(new RequestContext(result.tag, undefined, result), () => p.inject(ctx, out, setter));
    expect(out).toEqual({ 'x-color': 'blue', 'x-user': 'alice', baggage: 'color=blue,user=alice,other=1;p=q' });
    // The propagator never parsed the header itself: the bad member is the ingress's to report.
    expect(errors).toHaveLength(0);
    // Once code changes the baggage, its members are what goes out.
    const changed = propagation.setBaggage(ctx, propagation.getBaggage(ctx)!.removeEntry('other'));
    const out2: Record<string, string> = {};
    runWithContext(new RequestContext(result.tag, undefined, result), () => p.inject(changed, out2, setter));
    expect(out2.baggage).toBe('color=blue,user=alice');
  });

  it('passes the members on from the tag read from the same header, with no parse of its own (runWithTag, OTel alone)', () => {
    const errors: unknown[] = [];
    const p = new DyelinePropagator({ onError: (e) => errors.push(e) });
    const headers = { baggage: 'bad key=1,color=blue,other=1;p=q' };
    const ctx = p.extract(ROOT_CONTEXT, headers, getter);
    const { tag } = createIngress({ trust: { allowUntrusted: ['color'] } }).read(headers, incomingHeadersGetter, '203.0.113.9');
    const out: Record<string, string> = {};
    runWithTag(tag, () => p.inject(ctx, out, setter));
    expect(out).toEqual({ 'x-color': 'blue', baggage: 'color=blue,other=1;p=q' });
    expect(errors).toHaveLength(0);
    // A tag of another header's (or built in code) does not vouch for this one's members.
    const out2: Record<string, string> = {};
    runWithTag(createTag({ color: 'green', passthroughBaggage: 'other=2' }), () => p.inject(ctx, out2, setter));
    expect(out2.baggage).toBe('color=green,other=1;p=q');
    // OTel alone: the tag is read from the header once, its members written from that read.
    const out3: Record<string, string> = {};
    p.inject(ctx, out3, setter);
    expect(out3).toEqual({ 'x-color': 'blue', baggage: 'color=blue,other=1;p=q' });
    expect(errors).toHaveLength(1);
  });

  it('keeps the members an earlier propagator put into the context', () => {
    const p = new DyelinePropagator();
    const earlier = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ before: { value: 'b' } }));
    const headers = { baggage: 'color=blue,other=1' };
    const ctx = p.extract(earlier, headers, getter);
    const { tag } = createIngress({ trust: { trustedCidrs: ['127.0.0.0/8'] } }).read(headers, incomingHeadersGetter, '127.0.0.1');
    expect(tag.color).toBe('blue');
    const out: Record<string, string> = {};
    runWithTag(tag, () => p.inject(ctx, out, setter));
    expect(out.baggage?.split(',').sort()).toEqual(['before=b', 'color=blue', 'other=1']);
    const alone: Record<string, string> = {};
    p.inject(ctx, alone, setter);
    expect(alone.baggage?.split(',').sort()).toEqual(['before=b', 'color=blue', 'other=1']);
  });

  it('merges baggage another propagator or the caller wrote, dropping its tag keys', () => {
    const p = new DyelinePropagator();
    const out: Record<string, string> = { baggage: 'mine=1,color=stale' };
    runWithTag(createTag({ color: 'red' }), () => p.inject(ROOT_CONTEXT, out, setter));
    expect(out.baggage).toBe('color=red,mine=1');
  });

  it('writes nothing when there is no tag and no baggage', () => {
    const out: Record<string, string> = {};
    new DyelinePropagator().inject(ROOT_CONTEXT, out, setter);
    expect(out).toEqual({});
  });

  it('tagOf reads baggage changed in code after extract', () => {
    const p = new DyelinePropagator();
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'color=red' }, getter);
    const changed = propagation.setBaggage(ctx, propagation.getBaggage(ctx)!.setEntry('color', { value: 'blue' }));
    expect(tagFromContext(changed)).toBeUndefined();
    expect(p.tagOf(changed)?.color).toBe('blue');
    const out: Record<string, string> = {};
    p.inject(changed, out, setter);
    expect(out['x-color']).toBe('blue');
  });

  it('uses the codec options: presets and baggage key names', () => {
    const p = new DyelinePropagator({ presets: [presets.kratos], baggage: { color: 'lane' } });
    const out = roundTrip(p, { 'x-md-global-color': 'k1' });
    expect(out['x-md-global-color']).toBe('k1');
    expect(out.baggage).toBe('lane=k1');
    expect(p.fields()).toEqual(expect.arrayContaining(['baggage', 'x-color', 'x-md-global-color']));
  });

  it('never throws: hostile input and a throwing getter are reported through onError', () => {
    const errors: unknown[] = [];
    const p = new DyelinePropagator({ onError: (e) => errors.push(e) });
    const ctx = p.extract(ROOT_CONTEXT, { baggage: 'bad key=1,=,ok=1', 'x-color': 'a\u0000b' }, getter);
    expect(propagation.getBaggage(ctx)?.getEntry('ok')?.value).toBe('1');
    expect(errors.length).toBeGreaterThan(0);
    const boom = { get: () => { throw new Error('boom'); }, keys: () => [] };
    expect(p.extract(ROOT_CONTEXT, {}, boom)).toBe(ROOT_CONTEXT);
    expect(errors.at(-1)).toMatchObject({ message: 'boom' });
    const throwingSetter = { set: () => { throw new Error('set'); } };
    expect(() => runWithTag(createTag({ color: 'x' }), () => p.inject(ROOT_CONTEXT, {}, throwingSetter))).not.toThrow();
  });

  it('skips baggage entries set in code that are not valid on the wire', () => {
    const p = new DyelinePropagator();
    const bag = propagation.createBaggage({ 'bad key': { value: 'x' }, good: { value: 'é' } });
    const out: Record<string, string> = {};
    p.inject(propagation.setBaggage(ROOT_CONTEXT, bag), out, setter);
    expect(out.baggage).toBe('good=%C3%A9');
  });

  it('rejects bad options at construction', () => {
    expect(() => new DyelinePropagator({ onError: 1 as never })).toThrow(/options.onError/);
    expect(() => new DyelinePropagator({ headers: { color: 'Bad Header' } })).toThrow(TypeError);
  });
});

describe('DyelinePropagator and dyeline ingress on one request', () => {
  it('ingress reuses the tag the propagator read for the server span: the baggage is parsed once', () => {
    const p = new DyelinePropagator();
    const headers = { 'x-user': 'alice', baggage: 'color=blue,other=1' };
    const ctx = p.extract(ROOT_CONTEXT, headers, getter);
    // What the span processor does for a span started before ingress runs.
    const forSpan = tagFromContext(ctx);
    const result = createIngress({ trust: { trustedCidrs: ['127.0.0.1/32'] } }).read(headers, incomingHeadersGetter, '127.0.0.1');
    expect(result.tag).toBe(forSpan);
    expect(result.tag.toJSON()).toEqual({ color: 'blue', user: 'alice' });
  });
});
