import { isDeadlineExceededError } from '@dyeline/core';
import { grpcCodeOf, statusOf } from './classifiers.js';
import { isTimeoutError } from './timeout-error.js';

/** How a call ended, in the terms of Envoy's retry conditions. */
export type NetworkFailure = 'connect-failure' | 'reset' | 'refused-stream' | 'timeout';

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The network failure behind `error` (fetch wraps it as `TypeError('fetch
 * failed', { cause })`, happy-eyeballs connects as an `AggregateError`), or
 * `undefined` when it is none. A per-try {@link TimeoutError} is `timeout`;
 * the request deadline is not a network failure.
 */
export function networkFailureOf(error: unknown): NetworkFailure | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (isDeadlineExceededError(current)) return undefined;
    if (isTimeoutError(current)) return 'timeout';
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECT_CODES.has(code)) return 'connect-failure';
      if (RESET_CODES.has(code)) return 'reset';
      if (code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(String((current as Error).message))) return 'refused-stream';
    }
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested) && nested.length > 0) current = nested[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export { grpcCodeOf, statusOf };
