import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { headerRecordAccessor, incomingHeadersGetter } from './carrier.js';
import { createCodec } from './codec.js';
import { presets } from './presets.js';
import { createTag } from './tag.js';

function read(options: Parameters<typeof createCodec>[0], headers: IncomingHttpHeaders) {
  return createCodec(options).extract(headers, incomingHeadersGetter);
}

describe('presets: reading the wire names used in the field', () => {
  it.each([
    ['kratos', presets.kratos, { 'x-md-global-color': 'lane-a' }],
    ['mse', presets.mse, { 'x-mse-tag': 'gray' }],
    ['opensergo', presets.opensergo, { 'x-opensergo-traffic': 'lane-b' }],
    ['dubbo', presets.dubbo, { 'dubbo.tag': 'tag1' }],
    ['signadot', presets.signadot, { baggage: 'sd-routing-key=sbx-123' }],
  ] as const)('%s → color', (_name, preset, headers) => {
    const expected = Object.values(headers)[0]!.replace('sd-routing-key=', '');
    const result = read({ presets: [preset] }, headers);
    expect(result.tag.color).toBe(expected);
    expect(result.fields).toEqual(['color']);
  });

  it('a preset’s wire name is ignored unless the preset is configured', () => {
    expect(read({}, { 'x-md-global-color': 'lane-a' }).tag.color).toBeUndefined();
    const signadotOff = read({}, { baggage: 'sd-routing-key=sbx-123' });
    expect(signadotOff.tag.color).toBeUndefined();
    // Not a tag field, so it travels on as unrelated baggage.
    expect(signadotOff.tag.passthroughBaggage).toBe('sd-routing-key=sbx-123');
  });

  it('istio: `user` → user and `x-canary` as an extra entry', () => {
    const result = read({ presets: [presets.istio] }, { user: 'admin', 'x-canary': 'true' });
    expect(result.tag.user).toBe('admin');
    expect(result.tag.extra['x-canary']).toBe('true');
    expect([...result.fields].sort()).toEqual(['extra:x-canary', 'user']);
  });

  it('istio: `end-user` → user too, `user` first when both are sent', () => {
    expect(read({ presets: [presets.istio] }, { 'end-user': 'jason' }).tag.user).toBe('jason');
    expect(read({ presets: [presets.istio] }, { user: 'admin', 'end-user': 'jason' }).tag.user).toBe('admin');
  });

  it('a custom preset may list several names per field, checked at construction', () => {
    const preset = { name: 'mine', headers: { color: ['x-a', 'x-b'] } };
    expect(read({ presets: [preset] }, { 'x-b': 'b' }).tag.color).toBe('b');
    expect(() => createCodec({ presets: [{ name: 'bad', headers: { color: ['X-A'] } }] })).toThrow(/options\.presets\[0\]\.headers\.color/);
  });

  it('takin: `p-pradar-cluster-test: 1` → shadow, written back under the same name', () => {
    const codec = createCodec({ presets: [presets.takin] });
    const result = codec.extract({ 'p-pradar-cluster-test': '1' }, incomingHeadersGetter);
    expect(result.tag.shadow).toBe(true);
    expect(result.fields).toEqual(['shadow']);
    const out: Record<string, string> = {};
    codec.inject(createTag({ shadow: true }), out, headerRecordAccessor);
    expect(out['p-pradar-cluster-test']).toBeDefined();
    expect(out['x-shadow']).toBeDefined();
  });

  it('presets are frozen', () => {
    expect(Object.isFrozen(presets)).toBe(true);
    expect(Object.isFrozen(presets.kratos)).toBe(true);
    expect(Object.isFrozen(presets.istio.extra)).toBe(true);
  });
});

describe('precedence: dyeline header > preset header > dyeline baggage key > preset baggage key', () => {
  const options = { presets: [presets.kratos, presets.signadot] };
  const all = {
    'x-color': 'own-header',
    'x-md-global-color': 'preset-header',
    baggage: 'color=own-baggage,sd-routing-key=preset-baggage',
  };

  it('the dedicated dyeline header wins over everything', () => {
    expect(read(options, all).tag.color).toBe('own-header');
  });

  it('then the preset header', () => {
    const { 'x-color': _, ...rest } = all;
    expect(read(options, rest).tag.color).toBe('preset-header');
  });

  it('then dyeline’s baggage key', () => {
    expect(read(options, { baggage: all.baggage }).tag.color).toBe('own-baggage');
  });

  it('dyeline’s baggage key wins wherever each member stands in the header', () => {
    expect(read(options, { baggage: 'sd-routing-key=preset-baggage,color=own-baggage' }).tag.color).toBe('own-baggage');
  });

  it('an invalid value under dyeline’s key leaves the preset’s valid one', () => {
    const { tag, errors } = read(options, { baggage: 'sd-routing-key=preset-baggage,color=bad%20value' });
    expect(tag.color).toBe('preset-baggage');
    expect(errors?.length).toBe(1);
  });

  it('then the preset’s baggage key', () => {
    expect(read(options, { baggage: 'sd-routing-key=preset-baggage' }).tag.color).toBe('preset-baggage');
  });

  it('presets rank among themselves in the order given', () => {
    const headers = { 'x-md-global-color': 'kratos', 'x-mse-tag': 'mse' };
    expect(read({ presets: [presets.kratos, presets.mse] }, headers).tag.color).toBe('kratos');
    expect(read({ presets: [presets.mse, presets.kratos] }, headers).tag.color).toBe('mse');
  });

  it('consumed tag keys are not passed through as unrelated baggage', () => {
    const tag = read(options, all).tag;
    expect(tag.passthroughBaggage).toBeUndefined();
  });
});

describe('presets: writing', () => {
  const tag = createTag({ color: 'lane-a', user: 'admin', extra: { 'x-canary': 'true' } });

  it('writes preset headers next to dyeline’s own', () => {
    const codec = createCodec({ presets: [presets.kratos, presets.mse, presets.opensergo, presets.dubbo, presets.istio] });
    const out: Record<string, string> = {};
    codec.inject(tag, out, headerRecordAccessor);
    expect(out).toMatchObject({
      'x-color': 'lane-a',
      'x-md-global-color': 'lane-a',
      'x-mse-tag': 'lane-a',
      'x-opensergo-traffic': 'lane-a',
      'dubbo.tag': 'lane-a',
      'x-user': 'admin',
      user: 'admin',
      'x-canary': 'true',
    });
  });

  it('writes no preset header with write.presets false', () => {
    const codec = createCodec({ presets: [presets.kratos], write: { presets: false } });
    const out: Record<string, string> = {};
    codec.inject(tag, out, headerRecordAccessor);
    expect(out['x-md-global-color']).toBeUndefined();
    expect(out['x-color']).toBe('lane-a');
  });

  it('signadot: writes the routing key into baggage so the next hop keeps it', () => {
    const codec = createCodec({ presets: [presets.signadot] });
    const out: Record<string, string> = {};
    codec.inject(createTag({ color: 'sbx-123' }), out, headerRecordAccessor);
    expect(out.baggage?.split(',')).toContain('sd-routing-key=sbx-123');
  });

  it('what a preset writes, the same preset reads back', () => {
    for (const preset of Object.values(presets)) {
      const codec = createCodec({ presets: [preset], headers: { color: false, user: false, shadow: false }, baggage: { color: false, user: false, shadow: false } });
      const out: Record<string, string> = {};
      codec.inject(createTag({ color: 'c1', user: 'u1' }), out, headerRecordAccessor);
      const back = codec.extract(out, headerRecordAccessor).tag;
      if (preset.headers?.color !== undefined || preset.baggage?.color !== undefined) expect(back.color).toBe('c1');
    }
  });
});
