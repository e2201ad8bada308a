import { DyelineError, brandError } from '@dyeline/core';

/**
 * The tag could not be written onto an outbound call (headers already sent,
 * an exotic header shape, a codec failure). The call itself goes on without
 * the tag; this error only reaches the `onError` hook, never the caller.
 */
export class PropagationError extends DyelineError {
  /** Which client failed: `fetch`, `undici`, `http` or `axios`. */
  readonly client: string;

  constructor(client: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_PROPAGATION', `${client}: ${message}`, options);
    this.client = client;
  }
}

/** True when `error` is a {@link PropagationError} from any copy of dyeline. */
export const isPropagationError = brandError(PropagationError, 'PropagationError');
