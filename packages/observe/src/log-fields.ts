import type { Tag } from '@dyeline/core';

/** Which tag fields go into log lines, and under what names. */
export interface LogFieldsOptions {
  /** Nest the fields under this key (default `'dyeline'`); `false` writes them at the top level. */
  key?: string | false;
  /** Also write `user`. Off by default: user keys are often personal data. */
  includeUser?: boolean;
  /** Extra tag entries to write, by name. */
  extra?: readonly string[];
}

/** @internal Normalised {@link LogFieldsOptions}. */
export interface LogFields {
  readonly key: string | false;
  /** The fields of `tag`, frozen and cached per tag (tags are immutable). */
  of(tag: Tag): Readonly<Record<string, unknown>>;
}

const NONE: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * @internal
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function logFields(caller: string, options: LogFieldsOptions = {}): LogFields {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${caller}: options must be an object`);
  const key = options.key ?? 'dyeline';
  if (key !== false && (typeof key !== 'string' || key === '')) {
    throw new TypeError(`${caller}: options.key must be a non-empty string or false`);
  }
  const extra = options.extra ?? [];
  if (!Array.isArray(extra) || extra.some((k) => typeof k !== 'string')) {
    throw new TypeError(`${caller}: options.extra must be an array of entry names`);
  }
  const includeUser = options.includeUser === true;
  const cache = new WeakMap<Tag, Readonly<Record<string, unknown>>>();
  return {
    key,
    of(tag) {
      let fields = cache.get(tag);
      if (fields !== undefined) return fields;
      const out: Record<string, unknown> = {};
      if (tag.color !== undefined) out.color = tag.color;
      if (tag.shadow) out.shadow = true;
      if (includeUser && tag.user !== undefined) out.user = tag.user;
      for (const name of extra) {
        const value = tag.extra[name];
        if (value !== undefined) out[name] = value;
      }
      fields = Object.keys(out).length === 0 ? NONE : Object.freeze(out);
      cache.set(tag, fields);
      return fields;
    },
  };
}
