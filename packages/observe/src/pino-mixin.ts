import { currentTag } from '@dyeline/core';
import { logFields } from './log-fields.js';
import type { LogFieldsOptions } from './log-fields.js';

/**
 * A pino `mixin` that adds the current tag to every log line:
 * `{"dyeline":{"color":"feature-42","shadow":true}}`. Lines logged outside a
 * request, or in a request without a tag, get nothing.
 *
 * @example pino({ mixin: dyelineMixin() })
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineMixin(options: LogFieldsOptions = {}): () => Record<string, unknown> {
  const fields = logFields('dyelineMixin', options);
  const key = fields.key;
  return () => {
    const tag = currentTag();
    if (tag === undefined) return {};
    const found = fields.of(tag);
    // pino merges into the object it gets back, so it is always a fresh one.
    if (key === false) return { ...found };
    return Object.keys(found).length === 0 ? {} : { [key]: found };
  };
}
