// Property tests: whatever arrives on the wire, the codec neither throws nor
// writes a header that Node would refuse, and what it writes reads back the same.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBaggage } from './baggage.js';
import { headerRecordAccessor } from './carrier.js';
import { createCodec } from './codec.js';
import { presets } from './presets.js';
import { createTag } from './tag.js';
import type { Tag } from './tag.js';

const codec = createCodec({ extra: ['tenant'], presets: [presets.kratos, presets.signadot, presets.istio] });

// Characters that break naive parsers: separators, escapes, controls, quotes, non-ASCII.
const nasty = fc.constantFrom(',', ';', '=', '%', '%2', '%ZZ', '%C3', '%FF', ' ', '\t', '\r', '\n', '\u0000', '\u007f', '"', '\\', 'é', '日', '\uD800', '😀', 'color', 'user', 'shadow', 'x', '1', 'true');
const hostile = fc.oneof(
  fc.string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 2 })), maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  // Huge: past the 8192-byte limits.
  fc.integer({ min: 8000, max: 20_000 }).map((n) => 'a=1,'.repeat(Math.ceil(n / 4))),
);
const goodValue = fc.stringMatching(/^[A-Za-z0-9._~:@/+-]{1,20}$/);
const anyValue = fc.oneof(hostile, goodValue);

// Baggage that is half valid members, half garbage.
const member = fc.oneof(
  fc.tuple(fc.constantFrom('color', 'user', 'shadow', 'tenant', 'sd-routing-key', 'k1', 'k2', 'other'), anyValue).map(([k, v]) => `${k}=${v}`),
  fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[!#-+\--:<-[\]-~]{0,12}$/), fc.array(fc.stringMatching(/^[a-z]{1,5}(=[a-z0-9%]{0,5})?$/), { maxLength: 3 }))
    .map(([k, v, props]) => `${k} = ${v}${props.map((p) => ` ; ${p}`).join('')}`),
  hostile,
);
const baggage = fc.array(member, { maxLength: 80 }).map((members) => members.join(fc.sample(fc.constantFrom(',', ', ', ' ,\t'), 1)[0]));

const headers = fc.record(
  {
    'x-color': anyValue,
    'x-user': anyValue,
    'x-shadow': fc.oneof(anyValue, fc.constantFrom('1', 'TRUE', 'On', '0', 'off', 'False', 'yes')),
    'x-md-global-color': anyValue,
    user: anyValue,
    'end-user': anyValue,
    'x-canary': anyValue,
    tenant: anyValue,
    baggage: fc.oneof(baggage, hostile),
  },
  { requiredKeys: [] },
);

function written(tag: Tag): Record<string, string> {
  const out: Record<string, string> = {};
  codec.inject(tag, out, headerRecordAccessor);
  return out;
}

function assertValidHeaders(out: Record<string, string>): void {
  for (const [name, value] of Object.entries(out)) {
    expect(() => validateHeaderName(name)).not.toThrow();
    expect(() => validateHeaderValue(name, value)).not.toThrow();
    // Stricter than Node: printable ASCII only, so every proxy passes it on.
    expect(value).toMatch(/^[\x20-\x7e]*$/);
    expect(Buffer.byteLength(value)).toBeLessThanOrEqual(8192);
  }
  if (out.baggage !== undefined) expect(out.baggage.split(',').length).toBeLessThanOrEqual(64);
}

describe('codec properties', () => {
  it('extract never throws on hostile headers and baggage', () => {
    fc.assert(
      fc.property(headers, (h) => {
        const result = codec.extract(h, headerRecordAccessor);
        expect(result.tag).toBeDefined();
        if (result.errors !== undefined) for (const e of result.errors) expect(e.code).toMatch(/^ERR_DYELINE_/);
      }),
      { numRuns: 500 },
    );
  });

  it('parseBaggage never throws and returns only valid members', () => {
    fc.assert(
      fc.property(fc.oneof(baggage, hostile), (b) => {
        const members = parseBaggage(b, () => {});
        expect(members.length).toBeLessThanOrEqual(64);
        for (const m of members) expect(() => validateHeaderValue('baggage', m.raw)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('inject of an extracted tag writes valid headers that read back to the same tag', () => {
    fc.assert(
      fc.property(headers, (h) => {
        const tag = codec.extract(h, headerRecordAccessor).tag;
        const out = written(tag);
        assertValidHeaders(out);
        const back = codec.extract(out, headerRecordAccessor);
        expect(back.errors).toBeUndefined();
        expect(back.tag.color).toBe(tag.color);
        expect(back.tag.user).toBe(tag.user);
        expect(back.tag.shadow).toBe(tag.shadow);
        expect({ ...back.tag.extra }).toEqual({ ...tag.extra });
        // Unrelated members come back in order, each key once (the first);
        // some may be cut by the 64/8192 limits.
        const keys = new Set<string>();
        const before = (tag.passthroughBaggage?.split(',') ?? []).filter((m) => {
          const key = m.slice(0, m.indexOf('='));
          return keys.has(key) ? false : (keys.add(key), true);
        });
        const after = back.tag.passthroughBaggage?.split(',') ?? [];
        expect(before.slice(0, after.length)).toEqual(after);
      }),
      { numRuns: 500 },
    );
  });

  it('inject never throws and never writes an invalid header, even for a hostile tag built in code', () => {
    fc.assert(
      fc.property(
        fc.record({ color: anyValue, user: anyValue, shadow: fc.boolean(), tenant: anyValue, passthrough: fc.oneof(baggage, hostile) }, { requiredKeys: [] }),
        (init) => {
          const tag = createTag({
            color: init.color,
            user: init.user,
            shadow: init.shadow,
            extra: init.tenant === undefined || init.tenant === '' ? undefined : { tenant: init.tenant },
            passthroughBaggage: init.passthrough,
          });
          assertValidHeaders(written(tag));
        },
      ),
      { numRuns: 500 },
    );
  });
});
