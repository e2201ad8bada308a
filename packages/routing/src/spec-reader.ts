import { InvalidRuleError } from './invalid-rule-error.js';
import type { RuleLocation } from './invalid-rule-error.js';
import type { RuleWarning } from './rule-spec.js';
import { parseDuration } from './duration.js';

type Obj = Record<string, unknown>;

/**
 * Reads one document field by field, keeping the path for errors and
 * reporting every field it does not know as a warning.
 * @internal
 */
export class SpecReader {
  constructor(
    readonly file: string,
    readonly document: number,
    readonly warnings: RuleWarning[],
  ) {}

  location(path: string): RuleLocation {
    return { file: this.file, document: this.document, path };
  }

  fail(path: string, message: string): never {
    throw new InvalidRuleError(this.location(path), message);
  }

  warn(path: string, message: string): void {
    this.warnings.push({ ...this.location(path), message });
  }

  object(value: unknown, path: string): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Obj;
  }

  optionalObject(value: unknown, path: string): Obj | undefined {
    return value === undefined || value === null ? undefined : this.object(value, path);
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, 'must be a list');
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') this.fail(path, 'must be a non-empty string');
    return value;
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  /** Any string, including `''` (header values may be empty). */
  text(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, 'must be a string');
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer ${min}..${max}`);
    }
    return value;
  }

  number(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      this.fail(path, `must be a number ${min}..${max}`);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  duration(value: unknown, path: string): number {
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined) this.fail(path, 'must be a duration such as "2s", "0.5s" or "100ms"');
    return ms;
  }

  optionalDuration(value: unknown, path: string): number | undefined {
    return value === undefined || value === null ? undefined : this.duration(value, path);
  }

  stringMap(value: unknown, path: string): Record<string, string> {
    const out: Record<string, string> = {};
    const obj = this.optionalObject(value, path);
    if (obj === undefined) return out;
    for (const [key, entry] of Object.entries(obj)) out[key] = this.text(entry, `${path}.${key}`);
    return out;
  }

  /**
   * Warns for every key of `obj` that is neither handled nor deliberately
   * accepted, so no field is dropped without the user hearing of it.
   */
  unknownKeys(obj: Obj, path: string, handled: readonly string[], notes: Readonly<Record<string, string>> = {}): void {
    for (const key of Object.keys(obj)) {
      if (handled.includes(key)) continue;
      const where = path === '' ? key : `${path}.${key}`;
      this.warn(where, notes[key] ?? 'not supported by dyeline; ignored');
    }
  }

  /** Istio `Percent` (`{ value: 0..100 }`), or the deprecated integer `percent`. */
  percentage(obj: Obj, path: string, whenMissing: number): number {
    if (obj.percentage !== undefined && obj.percentage !== null) {
      const p = this.object(obj.percentage, `${path}.percentage`);
      this.unknownKeys(p, `${path}.percentage`, ['value']);
      return p.value === undefined ? 0 : this.number(p.value, `${path}.percentage.value`, 0, 100);
    }
    if (obj.percent !== undefined) return this.integer(obj.percent, `${path}.percent`, 0, 100);
    return whenMissing;
  }
}
