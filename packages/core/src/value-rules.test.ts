import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VALUE_RULES, checkValue } from './value-rules.js';

describe('checkValue with the default rules', () => {
  // The default pattern is checked through a character table, not the RegExp; they must agree.
  const pattern = new RegExp(DEFAULT_VALUE_RULES.valuePattern.source, DEFAULT_VALUE_RULES.valuePattern.flags);

  it('accepts exactly the characters of the default pattern', () => {
    for (let code = 0; code < 0x800; code++) {
      const value = `a${String.fromCharCode(code)}b`;
      expect(checkValue(DEFAULT_VALUE_RULES, 'x-color', value) === undefined, `U+${code.toString(16)}`).toBe(pattern.test(value));
    }
  });

  it('agrees with the pattern on any string within the length limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        expect(checkValue(DEFAULT_VALUE_RULES, 'x-color', value) === undefined).toBe(pattern.test(value));
      }),
    );
  });

  it('names the rule a value breaks', () => {
    expect(checkValue(DEFAULT_VALUE_RULES, 'x-color', 'blue green')?.reason).toBe('bad-charset');
    expect(checkValue(DEFAULT_VALUE_RULES, 'x-color', 'x'.repeat(129))?.reason).toBe('too-long');
    expect(checkValue({ ...DEFAULT_VALUE_RULES, valuePattern: /^[a-z]*$/ }, 'x-color', 'B')?.reason).toBe('bad-charset');
  });
});
