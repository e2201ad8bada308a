import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  decodeBaggageValue,
  encodeBaggageValue,
  formatBaggageEntry,
  joinBaggage,
  parseBaggage,
} from './baggage.js';
import type { InvalidTagError } from './invalid-tag-error.js';

function collect(): { errors: InvalidTagError[]; onInvalid: (error: InvalidTagError) => void } {
  const errors: InvalidTagError[] = [];
  return { errors, onInvalid: (error) => errors.push(error) };
}

describe('parseBaggage: examples from the W3C spec', () => {
  it('reads members, properties and optional whitespace', () => {
    const members = parseBaggage('key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue');
    expect(members.map((m) => [m.key, m.value, m.properties])).toEqual([
      ['key1', 'value1', ';property1;property2'],
      ['key2', 'value2', ''],
      ['key3', 'value3', ';propertyKey=propertyValue'],
    ]);
    expect(members.map((m) => m.raw)).toEqual(['key1=value1;property1;property2', 'key2=value2', 'key3=value3;propertyKey=propertyValue']);
  });

  it('tolerates whitespace around every separator', () => {
    const members = parseBaggage('key1 = value1; property1; property2, key2 = value2');
    expect(members.map((m) => m.raw)).toEqual(['key1=value1;property1;property2', 'key2=value2']);
  });

  it('percent-decodes values as UTF-8', () => {
    const members = parseBaggage('userId=alice,serverNode=DF%2028,isProduction=false');
    expect(members.map((m) => [m.key, m.value])).toEqual([
      ['userId', 'alice'],
      ['serverNode', 'DF 28'],
      ['isProduction', 'false'],
    ]);
    expect(parseBaggage('userId=Am%C3%A9lie')[0]?.value).toBe('Amélie');
  });

  it('keeps the raw value so unrelated members are written back unchanged', () => {
    expect(parseBaggage('serverNode=DF%2028')[0]?.raw).toBe('serverNode=DF%2028');
  });

  it('accepts an empty value and tab as whitespace', () => {
    expect(parseBaggage('a=\t,\tb=1').map((m) => [m.key, m.value])).toEqual([
      ['a', ''],
      ['b', '1'],
    ]);
  });
});

describe('parseBaggage: hostile input is dropped and reported, never thrown', () => {
  it.each([
    ['no equals sign', 'novalue'],
    ['key is not a token', 'bad key=1'],
    ['key with a slash', 'a/b=1'],
    ['value with a space inside', 'a=b c'],
    ['value with a double quote', 'a="x"'],
    ['value with a backslash', 'a=x\\y'],
    ['non-ASCII value', 'a=é'],
    ['control character', 'a=\u0001'],
    ['bad property key', 'a=1;pr op'],
    ['bad property value', 'a=1;p="q"'],
    ['empty key', '=1'],
  ])('%s', (_name, header) => {
    const { errors, onInvalid } = collect();
    expect(parseBaggage(`ok=1,${header},last=2`, { onInvalid }).map((m) => m.key)).toEqual(['ok', 'last']);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.reason).toBe('malformed');
    expect(errors[0]?.code).toBe('ERR_DYELINE_TAG_MALFORMED');
  });

  it('reports a flood of invalid members in a bounded number of errors', () => {
    const { errors, onInvalid } = collect();
    expect(parseBaggage('novalue,'.repeat(1000), { onInvalid })).toEqual([]);
    expect(errors.map((e) => e.reason)).toEqual(['malformed', 'malformed', 'malformed', 'too-many']);
    expect(errors[2]?.message).toMatch(/62 more invalid list-members dropped/);
  });

  it('accepts the callback form of the hook', () => {
    const { errors, onInvalid } = collect();
    expect(parseBaggage('x', onInvalid)).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('skips empty list-members silently', () => {
    const { errors, onInvalid } = collect();
    expect(parseBaggage(',, a=1 ,, ,', { onInvalid }).map((m) => m.key)).toEqual(['a']);
    expect(errors).toEqual([]);
  });

  it('keeps a literal % that does not start an escape', () => {
    expect(parseBaggage('a=100%,b=%zz,c=%4')[0]?.value).toBe('100%');
    expect(parseBaggage('b=%zz')[0]?.value).toBe('%zz');
    expect(parseBaggage('c=%4')[0]?.value).toBe('%4');
  });

  it('replaces invalid UTF-8 with U+FFFD, as the spec asks', () => {
    expect(parseBaggage('a=%FF%FE')[0]?.value).toBe('\uFFFD\uFFFD');
    expect(parseBaggage('a=%C3')[0]?.value).toBe('\uFFFD');
  });

  it('a throwing hook does not break parsing', () => {
    const members = parseBaggage('bad,a=1', {
      onInvalid: () => {
        throw new Error('hook');
      },
    });
    expect(members.map((m) => m.key)).toEqual(['a']);
  });
});

describe('parseBaggage: limits', () => {
  it(`keeps the first ${BAGGAGE_MAX_MEMBERS} members and reports the rest once`, () => {
    const { errors, onInvalid } = collect();
    const header = Array.from({ length: 70 }, (_, i) => `k${i}=v`).join(',');
    const members = parseBaggage(header, { onInvalid });
    expect(members).toHaveLength(64);
    expect(members.at(-1)?.key).toBe('k63');
    expect(errors.map((e) => e.reason)).toEqual(['too-many']);
  });

  it(`keeps the whole members within ${BAGGAGE_MAX_BYTES} bytes and reports the truncation`, () => {
    const { errors, onInvalid } = collect();
    const big = 'x'.repeat(3000);
    const members = parseBaggage(`a=${big},b=${big},c=${big},d=1`, { onInvalid });
    expect(members.map((m) => m.key)).toEqual(['a', 'b']);
    expect(errors.map((e) => e.reason)).toEqual(['header-too-large']);
  });

  it('drops a single member larger than the limit entirely', () => {
    const { errors, onInvalid } = collect();
    expect(parseBaggage(`a=${'x'.repeat(10_000)}`, { onInvalid })).toEqual([]);
    expect(errors.map((e) => e.reason)).toEqual(['header-too-large']);
  });

  it('honours custom limits', () => {
    expect(parseBaggage('a=1,b=2,c=3', { maxMembers: 2 }).map((m) => m.key)).toEqual(['a', 'b']);
    expect(parseBaggage('a=1,b=2,c=3', { maxBytes: 7 }).map((m) => m.key)).toEqual(['a', 'b']);
  });
});

describe('encodeBaggageValue / decodeBaggageValue', () => {
  it('encodes only what must be', () => {
    expect(encodeBaggageValue('feature-42')).toBe('feature-42');
    expect(encodeBaggageValue('a:b/c@d+e')).toBe('a:b/c@d+e');
    expect(encodeBaggageValue('DF 28')).toBe('DF%2028');
    expect(encodeBaggageValue('a,b;c"d\\e')).toBe('a%2Cb%3Bc%22d%5Ce');
    expect(encodeBaggageValue('Amélie')).toBe('Am%C3%A9lie');
  });

  it('encodes % so that decoding gives the value back', () => {
    expect(encodeBaggageValue('100%')).toBe('100%25');
    expect(decodeBaggageValue(encodeBaggageValue('%41'))).toBe('%41');
  });

  it('does not throw on lone surrogates', () => {
    expect(encodeBaggageValue('a\uD800b')).toBe('a%EF%BF%BDb');
  });

  it('round-trips arbitrary text', () => {
    for (const value of ['', ' ', 'ü', '日本語', '😀', 'a=b', '\u0000\u007f', '%%', 'x'.repeat(100)]) {
      expect(decodeBaggageValue(encodeBaggageValue(value))).toBe(value);
      expect(parseBaggage(formatBaggageEntry('k', value))[0]?.value).toBe(value);
    }
  });
});

describe('joinBaggage', () => {
  it('joins with commas and returns undefined for nothing', () => {
    expect(joinBaggage(['a=1', 'b=2'])).toBe('a=1,b=2');
    expect(joinBaggage([])).toBeUndefined();
  });

  it('keeps whole members only, in order, within the limits, and reports the rest', () => {
    const { errors, onInvalid } = collect();
    const members = Array.from({ length: 70 }, (_, i) => `k${i}=v`);
    expect(joinBaggage(members, { onInvalid })?.split(',')).toHaveLength(64);
    expect(errors.map((e) => e.reason)).toEqual(['too-many']);

    const sized = collect();
    const big = `b=${'x'.repeat(5000)}`;
    expect(joinBaggage(['a=1', big, big, 'c=3'], { onInvalid: sized.onInvalid })).toBe(`a=1,${big},c=3`);
    expect(sized.errors.map((e) => e.reason)).toEqual(['header-too-large']);
  });

  it('counts bytes, not characters', () => {
    expect(joinBaggage(['a=1', 'é'.repeat(4)], { maxBytes: 10 })).toBe('a=1');
  });

  it('keeps exactly the members whose bytes fit, whatever their characters', () => {
    // The reference counts every member's bytes; joinBaggage counts only near the limit.
    const reference = (members: string[], maxBytes: number): string | undefined => {
      const kept: string[] = [];
      let bytes = 0;
      for (const member of members) {
        const size = Buffer.byteLength(member) + (kept.length === 0 ? 0 : 1);
        if (bytes + size > maxBytes) continue;
        kept.push(member);
        bytes += size;
      }
      return kept.length === 0 ? undefined : kept.join(',');
    };
    const member = fc.string({ unit: fc.constantFrom('a', '=', 'é', '日', '😀', '1'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(member, { maxLength: 20 }), fc.integer({ min: 1, max: 120 }), (members, maxBytes) => {
        expect(joinBaggage(members, { maxBytes })).toBe(reference(members, maxBytes));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseBaggage: the one-pass reading of plain members', () => {
  // A plain `key=value` member is read in one pass; anything else by the
  // general reader. Appending an empty property (`;`, tolerated) sends a
  // member to the general reader without changing what it means, so the two
  // readings of every member must agree.
  const generalOnly = (header: string): string =>
    header
      .split(',')
      .map((member) => (member.trim() === '' ? member : `${member};`))
      .join(',');
  const piece = fc.constantFrom('color', 'user', 'k', '=', ',', ';', ' ', '\t', '%41', '%', 'é', '"', '\\', 'v-1', 'a.b', '', '\u0000', '~');
  const header = fc.array(fc.string({ unit: piece, maxLength: 8 }), { maxLength: 40 }).map((members) => members.join(','));

  it('reads every member as the general reader does', () => {
    fc.assert(
      fc.property(header, (text) => {
        expect(parseBaggage(text)).toEqual(parseBaggage(generalOnly(text)));
      }),
      { numRuns: 2000 },
    );
  });

  it('takes the usual member apart as the general reader does', () => {
    const [plain] = parseBaggage('color=feature-42');
    expect(plain).toEqual({ key: 'color', value: 'feature-42', rawValue: 'feature-42', properties: '', raw: 'color=feature-42' });
    expect(parseBaggage('a=1,b=%41,c=')).toEqual(parseBaggage('a=1;,b=%41;,c=;'));
  });
});
