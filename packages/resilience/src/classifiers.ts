/**
 * Decides whether one call counts as a failure: `value` is the result when
 * `isError` is false, the thrown error otherwise.
 */
export type FailureClassifier = (value: unknown, isError: boolean) => boolean;

/** gRPC status codes by their Istio/Envoy `retryOn` names. */
export const GRPC_CODES = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  'invalid-argument': 3,
  'deadline-exceeded': 4,
  'not-found': 5,
  'already-exists': 6,
  'permission-denied': 7,
  'resource-exhausted': 8,
  'failed-precondition': 9,
  aborted: 10,
  'out-of-range': 11,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  'data-loss': 15,
  unauthenticated: 16,
} as const;

/** The HTTP status of a result (a fetch `Response`, an axios response, `{ status }`), if it has one. */
export function statusOf(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const status = (value as { status?: unknown }).status ?? (value as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The gRPC code of an error (`ServiceError.code`) or result (`{ code }`), if numeric. */
export function grpcCodeOf(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Every thrown error is a failure; every result a success. The default. */
export const errorsAreFailures: FailureClassifier = (_value, isError) => isError;

/**
 * HTTP: errors and results whose status is in `isFailureStatus` (default ≥ 500) are failures.
 * @example createCircuitBreaker({ isFailure: httpStatusClassifier() })
 */
export function httpStatusClassifier(isFailureStatus: (status: number) => boolean = (s) => s >= 500): FailureClassifier {
  return (value, isError) => {
    if (isError) return true;
    const status = statusOf(value);
    return status !== undefined && isFailureStatus(status);
  };
}

/** Codes that mean the server is unhealthy (not that the request was wrong). */
export const DEFAULT_GRPC_FAILURE_CODES: readonly number[] = [
  GRPC_CODES.unknown,
  GRPC_CODES['deadline-exceeded'],
  GRPC_CODES['resource-exhausted'],
  GRPC_CODES.internal,
  GRPC_CODES.unavailable,
  GRPC_CODES['data-loss'],
];

/**
 * gRPC: an error (or result) with a numeric `code` in `codes` is a failure;
 * other codes (NOT_FOUND, INVALID_ARGUMENT...) are the caller's fault and count as success.
 * Errors without a numeric code are failures.
 */
export function grpcCodeClassifier(codes: readonly number[] = DEFAULT_GRPC_FAILURE_CODES): FailureClassifier {
  const set = new Set(codes);
  return (value, isError) => {
    const code = grpcCodeOf(value);
    if (code === undefined) return isError;
    return set.has(code);
  };
}

/** Errors for which `predicate` holds are failures; results are successes. */
export function errorClassifier(predicate: (error: unknown) => boolean): FailureClassifier {
  return (value, isError) => isError && predicate(value);
}
