import { DyelineError, brandError } from '@dyeline/core';

/** The circuit breaker is open (or half-open with all trial slots taken): the call was not made. */
export class BrokenCircuitError extends DyelineError {
  /** Milliseconds until the breaker lets a trial call through; 0 when it may already (half-open, slots busy). */
  readonly retryAfterMs: number;

  constructor(retryAfterMs: number, options?: { cause?: unknown }) {
    super('ERR_DYELINE_BROKEN_CIRCUIT', `circuit is open; retry after ${Math.ceil(retryAfterMs)} ms`, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** True when `error` is a {@link BrokenCircuitError} from any copy of dyeline. */
export const isBrokenCircuitError = brandError(BrokenCircuitError, 'BrokenCircuitError');
