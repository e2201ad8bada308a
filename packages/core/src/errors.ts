/**
 * The error hierarchy every dyeline package shares.
 *
 * Each failure mode is a subclass of {@link DyelineError} with a string `code`
 * and a brand. Guards check the brand, not `instanceof`, so an error thrown by
 * one installed copy of a package is recognised by another copy (an ESM and a
 * CJS build, or two versions side by side) — the same reason
 * `@opentelemetry/api` keys its globals with `Symbol.for`.
 */

const BASE_BRAND = Symbol.for('dyeline.error');

/** Options accepted by every dyeline error constructor. */
export interface DyelineErrorOptions {
  /** The underlying error, kept for `error.cause` chains. */
  cause?: unknown;
}

/** Base class of every error a dyeline package throws on purpose. */
export class DyelineError extends Error {
  /** A stable machine-readable code, e.g. `ERR_DYELINE_INVALID_TAG`. */
  readonly code: string;

  constructor(code: string, message: string, options?: DyelineErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}
Object.defineProperty(DyelineError.prototype, BASE_BRAND, { value: true });

/**
 * Marks `ErrorClass` with a process-wide brand named `name` and returns a guard
 * that recognises instances from any copy of the package that defined it.
 *
 * @example
 * export class TimeoutError extends DyelineError { ... }
 * export const isTimeoutError = brandError(TimeoutError, 'TimeoutError');
 */
export function brandError<T extends DyelineError>(
  ErrorClass: abstract new (...args: never[]) => T,
  name: string,
): (error: unknown) => error is T {
  const brand = Symbol.for(`dyeline.error.${name}`);
  Object.defineProperty(ErrorClass.prototype, brand, { value: true });
  return (error: unknown): error is T =>
    typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}

/** True for any error thrown on purpose by any copy of any dyeline package. */
export function isDyelineError(error: unknown): error is DyelineError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BASE_BRAND] === true;
}
