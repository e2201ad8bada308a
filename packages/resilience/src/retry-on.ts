import { GRPC_CODES } from './classifiers.js';
import { grpcCodeOf, networkFailureOf, statusOf } from './outcome.js';

/**
 * Decides whether an outcome is worth another try: returns the matching
 * condition's name (for events), or `undefined` for no retry. `value` is the
 * result, or the error when `isError`.
 */
export type RetryCondition = (value: unknown, isError: boolean) => string | undefined;

const GRPC_NAMES = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;
const HTTP_NAMES = ['5xx', 'gateway-error', 'reset', 'connect-failure', 'refused-stream', 'retriable-4xx', 'reset-before-request'] as const;

/** Istio's default `retryOn`. */
export const ISTIO_DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled';

/** The retry conditions this package understands (plus HTTP status codes written as numbers). */
export const RETRY_ON_NAMES: readonly string[] = [...HTTP_NAMES, ...GRPC_NAMES];

/**
 * Parses Istio's `retryOn` (`'5xx,gateway-error,connect-failure'`, or a list)
 * into a {@link RetryCondition}, with Envoy's meanings:
 * - `5xx`: status ≥ 500, or no response at all (connect failure, reset, refused stream, per-try timeout);
 * - `gateway-error`: 502, 503, 504, or no response at all;
 * - `reset`: disconnect, reset or per-try timeout (and connect failure); `connect-failure`; `refused-stream`;
 * - `retriable-4xx`: 409; a number such as `503`: that status;
 * - `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted`, `unavailable`: that gRPC code.
 * The request's own deadline never matches.
 *
 * @throws {TypeError} naming an unknown condition.
 */
export function parseRetryOn(retryOn: string | readonly string[]): RetryCondition {
  const list = (typeof retryOn === 'string' ? retryOn.split(',') : retryOn).map((s) => String(s).trim()).filter((s) => s.length > 0);
  const on = new Set<string>();
  const statuses = new Set<number>();
  const grpc = new Map<number, string>();
  for (const name of list) {
    if (/^\d{3}$/.test(name)) statuses.add(Number(name));
    else if ((GRPC_NAMES as readonly string[]).includes(name)) grpc.set(GRPC_CODES[name as (typeof GRPC_NAMES)[number]], name);
    else if ((HTTP_NAMES as readonly string[]).includes(name)) on.add(name === 'reset-before-request' ? 'connect-failure' : name);
    else throw new TypeError(`retryOn: unknown condition "${name}" (known: ${RETRY_ON_NAMES.join(', ')}, or a status code)`);
  }
  const anyFailure = on.has('5xx') || on.has('gateway-error');
  return (value, isError) => {
    if (isError) {
      const failure = networkFailureOf(value);
      if (failure !== undefined) {
        if (anyFailure) return on.has('5xx') ? '5xx' : 'gateway-error';
        if (on.has('reset') && failure !== 'refused-stream') return 'reset';
        if (on.has(failure)) return failure;
        return undefined;
      }
    } else {
      const status = statusOf(value);
      if (status !== undefined) {
        if (status >= 500 && on.has('5xx')) return '5xx';
        if ((status === 502 || status === 503 || status === 504) && on.has('gateway-error')) return 'gateway-error';
        if (status === 409 && on.has('retriable-4xx')) return 'retriable-4xx';
        if (statuses.has(status)) return String(status);
        return undefined;
      }
    }
    if (grpc.size > 0) {
      const code = grpcCodeOf(value);
      if (code !== undefined) return grpc.get(code);
    }
    return undefined;
  };
}
