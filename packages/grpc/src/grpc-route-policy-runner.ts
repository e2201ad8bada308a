import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { isDeadlineExceededError } from '@dyeline/core';
import { isInjectedFaultError, isTimeoutError } from '@dyeline/resilience';
import { routeResiliencePolicies } from '@dyeline/routing';
import type { RoutePolicy, RouteResilienceOptions } from '@dyeline/routing';

/** One try of a routed gRPC call; `attempt` counts from 1; the signal aborts when the try's limit passes. */
export type GrpcRoutedAttempt<T> = (attempt: number, signal: AbortSignal | undefined) => Promise<T>;

/**
 * Applies a route's fault, timeout and retries around the tries of one unary
 * call. `cancel` is the caller's `call.cancel()`. Rejects with a gRPC
 * `ServiceError` (numeric `code`, `details`, `metadata`) whatever stopped the call.
 */
export type GrpcPolicyRunner = <T>(route: RoutePolicy, attempt: GrpcRoutedAttempt<T>, cancel: AbortSignal) => Promise<T>;

/** Options of {@link createGrpcRoutePolicyRunner}: back-off, retry budget, random source, events. */
export type GrpcRoutePolicyRunnerOptions = RouteResilienceOptions;

/** A `ServiceError` as grpc-js builds one from a status. @internal */
export function serviceError(code: status, details: string, cause?: unknown): ServiceError {
  const error = new Error(`${code} ${status[code]}: ${details}`, cause === undefined ? undefined : { cause }) as ServiceError;
  return Object.assign(error, { code, details, metadata: new Metadata() });
}

/**
 * A {@link GrpcPolicyRunner} with Istio's semantics for gRPC routes, used by
 * `routedGrpcClient` on unary calls: the route's `fault` (delay; an abort
 * fails the call with `grpcStatus`, or the gRPC code its `httpStatus` maps
 * to, details `fault filter abort` as Envoy's), its `timeout` over the whole
 * call and `retries` (`attempts` retries on `retryOn`: `unavailable`,
 * `cancelled`, `deadline-exceeded`, `internal`, `resource-exhausted` match
 * the try's status; each try limited by `perTryTimeout`, a try past it is
 * cancelled). Every limit also stops at the request deadline. A timeout or
 * the request deadline fails the call with `DEADLINE_EXCEEDED`, the
 * caller's `cancel()` with `CANCELLED`.
 *
 * @throws {TypeError} naming the bad option.
 */
export function createGrpcRoutePolicyRunner(options: GrpcRoutePolicyRunnerOptions = {}): GrpcPolicyRunner {
  const policyOf = routeResiliencePolicies('createGrpcRoutePolicyRunner', 'grpc', options);
  return async <T>(route: RoutePolicy, attempt: GrpcRoutedAttempt<T>, cancel: AbortSignal): Promise<T> => {
    const policy = policyOf(route);
    let tries = 0;
    try {
      return await policy.execute((signal: AbortSignal) => attempt(++tries, signal), { signal: cancel });
    } catch (error) {
      throw asServiceError(error, cancel);
    }
  };
}

/** What the caller of a gRPC call expects to see for whatever stopped it. */
function asServiceError(error: unknown, cancel: AbortSignal): unknown {
  if (cancel.aborted) return serviceError(status.CANCELLED, 'Cancelled on client', error);
  if (isInjectedFaultError(error) && error.grpcCode !== undefined) return serviceError(error.grpcCode, 'fault filter abort', error);
  if (isTimeoutError(error) || isDeadlineExceededError(error)) return serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded', error);
  return error;
}
