// How a fault's status reads in the other protocol, as gRPC and Envoy map them:
// an `abort.httpStatus` on a gRPC call reaches the client as the gRPC code its
// HTTP status maps to (gRPC's http-grpc-status-mapping), and an
// `abort.grpcStatus` on a plain HTTP call is answered with Envoy's HTTP status
// for that code (Grpc::Utility::grpcToHttpStatus).

/** gRPC status codes by Istio's `grpcStatus` names (`UNAVAILABLE`, …). */
export const GRPC_STATUS_CODES: Readonly<Record<string, number>> = Object.freeze({
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
});

const HTTP_OF_GRPC = [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401] as const;

/** The gRPC code a client reads from an HTTP status that is not gRPC's own 200. */
export function grpcCodeOfHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GRPC_STATUS_CODES.INTERNAL as number;
    case 401:
      return GRPC_STATUS_CODES.UNAUTHENTICATED as number;
    case 403:
      return GRPC_STATUS_CODES.PERMISSION_DENIED as number;
    case 404:
      return GRPC_STATUS_CODES.UNIMPLEMENTED as number;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS_CODES.UNAVAILABLE as number;
    default:
      return GRPC_STATUS_CODES.UNKNOWN as number;
  }
}

/** The HTTP status Envoy answers a plain HTTP request with for a gRPC code. */
export function httpStatusOfGrpcCode(code: number): number {
  return HTTP_OF_GRPC[code] ?? 500;
}
