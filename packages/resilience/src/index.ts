// Errors
export { TimeoutError, isTimeoutError } from './timeout-error.js';
export { BrokenCircuitError, isBrokenCircuitError } from './broken-circuit-error.js';
export { InjectedFaultError, isInjectedFaultError } from './injected-fault-error.js';
export type { InjectedFaultInit } from './injected-fault-error.js';
// Deadline and timeout
export { deadlineSignal, remainingTime, withDeadline } from './deadline.js';
export { createTimeout, timeout } from './timeout.js';
export type { TimeoutListener, TimeoutOptions, TimeoutPolicy, Work } from './timeout.js';
// Circuit breaker
export { createCircuitBreaker } from './circuit-breaker.js';
export type { BreakerSnapshot, CircuitBreaker } from './circuit-breaker.js';
export type { BreakerState, BreakerStateChange, CircuitBreakerOptions } from './breaker-config.js';
export { createBreakerRegistry } from './breaker-registry.js';
export type { BreakerRegistry, BreakerRegistryOptions } from './breaker-registry.js';
export {
  DEFAULT_GRPC_FAILURE_CODES,
  GRPC_CODES,
  errorClassifier,
  errorsAreFailures,
  grpcCodeClassifier,
  grpcCodeOf,
  httpStatusClassifier,
  statusOf,
} from './classifiers.js';
export type { FailureClassifier } from './classifiers.js';
// Retry
export { IDEMPOTENT_METHODS, createRetryPolicy, retry } from './retry.js';
export type { RetriedWork, RetryCallOptions, RetryOptions, RetryPolicy } from './retry.js';
export { ISTIO_DEFAULT_RETRY_ON, RETRY_ON_NAMES, parseRetryOn } from './retry-on.js';
export type { RetryCondition } from './retry-on.js';
export { networkFailureOf } from './outcome.js';
export type { NetworkFailure } from './outcome.js';
export { exponentialBackoff } from './backoff.js';
export type { Backoff, BackoffOptions } from './backoff.js';
export { createRetryBudget } from './retry-budget.js';
export type { RetryBudget, RetryBudgetOptions } from './retry-budget.js';
// Fault injection, composition, outlier detection
export { injectFault } from './fault.js';
export type { FaultDecision, FaultInjector, FaultOptions } from './fault.js';
export { createPolicy } from './policy.js';
export type { Policy, PolicyOptions } from './policy.js';
export type { ResilienceEvent, ResilienceEventListener } from './events.js';
export { createOutlierDetector } from './outlier-detector.js';
export type { OutlierDetector, OutlierDetectorOptions, OutlierOutcome } from './outlier-detector.js';
export { parseDuration } from './duration.js';
export type { Clock } from './clock.js';
export { DEFAULT_FAULT_HEADER, InvalidFaultHeaderError, createFaultHeaderGate, isInvalidFaultHeaderError, parseFaultHeader, type FaultHeaderGate, type FaultHeaderGateOptions, type FaultHeaderSpec, type FaultHeaderStats, type ParseFaultHeaderOptions } from './fault-header.js';
