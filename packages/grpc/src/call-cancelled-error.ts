import { DyelineError, brandError } from '@dyeline/core';

/**
 * The reason the request deadline's signal aborts with when the gRPC client
 * cancelled the call (or its connection went away) before the deadline.
 */
export class CallCancelledError extends DyelineError {
  constructor(options?: { cause?: unknown }) {
    super('ERR_DYELINE_CALL_CANCELLED', 'the gRPC call was cancelled by the client', options);
  }
}

/** True when `error` is a {@link CallCancelledError} from any copy of dyeline. */
export const isCallCancelledError = brandError(CallCancelledError, 'CallCancelledError');
