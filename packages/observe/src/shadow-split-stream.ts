import { currentTag } from '@dyeline/core';

/** Anything pino can write to: a file destination, `process.stdout`, a Writable. */
export interface LineDestination {
  write(line: string): unknown;
}

/** Options of {@link shadowSplitStream}. */
export interface ShadowSplitOptions<P extends LineDestination, S extends LineDestination> {
  /** Where production lines go. */
  production: P;
  /** Where lines logged by shadow (stress-test) traffic go. */
  shadow: S;
}

/**
 * A pino destination that writes the lines of shadow traffic to `shadow` and
 * all others to `production`, so stress-test logs stay apart. It decides by
 * `currentTag()`: pino writes synchronously inside the logging call, while
 * the request's context is current.
 *
 * @example pino({ mixin: dyelineMixin() }, shadowSplitStream({ production: pino.destination(1), shadow: pino.destination('shadow.log') }))
 * @throws {TypeError} when a destination has no `write` method.
 */
export function shadowSplitStream<P extends LineDestination, S extends LineDestination>(
  options: ShadowSplitOptions<P, S>,
): LineDestination {
  for (const name of ['production', 'shadow'] as const) {
    if (typeof options?.[name]?.write !== 'function') {
      throw new TypeError(`shadowSplitStream: options.${name} must be a stream with a write method`);
    }
  }
  const { production, shadow } = options;
  return {
    write(line: string) {
      return currentTag()?.shadow === true ? shadow.write(line) : production.write(line);
    },
  };
}
