import { InvalidTagError } from './invalid-tag-error.js';

/** Limits applied to every tag value, resolved once from the codec options. */
export interface ValueRules {
  readonly maxValueLength: number;
  readonly valuePattern: RegExp;
  readonly maxHeaderBytes: number;
}

const DEFAULT_PATTERN = /^[A-Za-z0-9._~:@/+-]*$/;

export const DEFAULT_VALUE_RULES: ValueRules = Object.freeze({
  maxValueLength: 128,
  valuePattern: DEFAULT_PATTERN,
  maxHeaderBytes: 8192,
});

// The default pattern as a table: a RegExp call costs about as much as
// reading the header it checks, and ingress checks every value it takes.
const DEFAULT_CHARS = new Uint8Array(128);
for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~:@/+-') DEFAULT_CHARS[ch.charCodeAt(0)] = 1;

function matchesDefaultPattern(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || DEFAULT_CHARS[c] !== 1) return false;
  }
  return true;
}

/** Returns an error for a value that breaks `rules`, or `undefined` when it is fine. */
export function checkValue(rules: ValueRules, field: string, value: string): InvalidTagError | undefined {
  if (value.length > rules.maxHeaderBytes) {
    return new InvalidTagError('header-too-large', field, `${value.length} characters exceed ${rules.maxHeaderBytes} bytes`);
  }
  if (value.length > rules.maxValueLength) {
    return new InvalidTagError('too-long', field, `${value.length} characters exceed the limit of ${rules.maxValueLength}`);
  }
  if (rules.valuePattern === DEFAULT_PATTERN ? !matchesDefaultPattern(value) : !rules.valuePattern.test(value)) {
    return new InvalidTagError('bad-charset', field, `value does not match ${String(rules.valuePattern)}`);
  }
  return undefined;
}

/** `1/true/on` → true, `0/false/off` → false, anything else → undefined. */
export function parseShadowFlag(value: string): boolean | undefined {
  switch (value.toLowerCase()) {
    case '1':
    case 'true':
    case 'on':
      return true;
    case '0':
    case 'false':
    case 'off':
      return false;
    default:
      return undefined;
  }
}
