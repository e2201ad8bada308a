import { DyelineError, brandError } from '@dyeline/core';

/** A call guarded by {@link timeout} (or a policy's timeout) did not settle in time. */
export class TimeoutError extends DyelineError {
  /** The limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super('ERR_DYELINE_TIMEOUT', `call timed out after ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** True when `error` is a {@link TimeoutError} from any copy of dyeline. */
export const isTimeoutError = brandError(TimeoutError, 'TimeoutError');
