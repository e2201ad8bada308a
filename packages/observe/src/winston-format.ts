import { currentTag } from '@dyeline/core';
import winston from 'winston';
import type { Logform } from 'winston';
import { logFields } from './log-fields.js';
import type { LogFieldsOptions } from './log-fields.js';

/**
 * Set on `info` by {@link dyelineFormat} for shadow traffic. Transports may
 * run after the logging call (when a stream buffers), so the decision is
 * taken at the logger and carried on the entry.
 */
export const SHADOW = Symbol.for('dyeline.log.shadow');

type Info = Logform.TransformableInfo & { [SHADOW]?: boolean };

/**
 * A winston format that adds the current tag to every entry (under
 * `dyeline` by default) and marks shadow traffic for {@link shadowOnly} and
 * {@link productionOnly}. Put it in the logger's `format`, not a transport's.
 *
 * @example winston.createLogger({ format: winston.format.combine(dyelineFormat(), winston.format.json()) })
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineFormat(options: LogFieldsOptions = {}): Logform.Format {
  const fields = logFields('dyelineFormat', options);
  const key = fields.key;
  return winston.format((info: Info) => {
    const tag = currentTag();
    info[SHADOW] = tag?.shadow === true;
    if (tag === undefined) return info;
    const found = fields.of(tag);
    if (key === false) Object.assign(info, found);
    else if (Object.keys(found).length > 0) info[key] = found;
    return info;
  })();
}

function isShadow(info: Info): boolean {
  // Without dyelineFormat in front, fall back to the context of the call.
  return info[SHADOW] ?? currentTag()?.shadow === true;
}

/** A transport format that keeps only entries of shadow traffic. */
export function shadowOnly(): Logform.Format {
  return winston.format((info: Info) => (isShadow(info) ? info : false))();
}

/** A transport format that drops entries of shadow traffic. */
export function productionOnly(): Logform.Format {
  return winston.format((info: Info) => (isShadow(info) ? false : info))();
}
