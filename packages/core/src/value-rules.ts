import { InvalidTagError } from './invalid-tag-error.js';

/** Limits applied to every tag value, resolved once from the codec options. */
export interface ValueRules {
  readonly maxValueLength: number;
  readonly valuePattern: RegExp;
  readonly maxHeaderBytes: number;
}

export const DEFAULT_VALUE_RULES: ValueRules = Object.freeze({
  maxValueLength: 128,
  valuePattern: /^[A-Za-z0-9._~:@/+-]*$/,
  maxHeaderBytes: 8192,
});

/** Returns an error for a value that breaks `rules`, or `undefined` when it is fine. */
export function checkValue(rules: ValueRules, field: string, value: string): InvalidTagError | undefined {
  if (value.length > rules.maxHeaderBytes) {
    return new InvalidTagError('header-too-large', field, `${value.length} characters exceed ${rules.maxHeaderBytes} bytes`);
  }
  if (value.length > rules.maxValueLength) {
    return new InvalidTagError('too-long', field, `${value.length} characters exceed the limit of ${rules.maxValueLength}`);
  }
  if (!rules.valuePattern.test(value)) {
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
