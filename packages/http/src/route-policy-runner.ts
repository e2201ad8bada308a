import type { RoutePolicy } from '@dyeline/routing';

/** One try of a routed call; `attempt` counts from 1. */
export type RoutedAttempt = (attempt: number, signal: AbortSignal | undefined) => Promise<Response>;

/**
 * Applies a route's policy (fault, timeout, retries) around the tries of one
 * call. The default runs the call once, unchanged; pass the resilience-based
 * runner to apply Istio's semantics.
 */
export type PolicyRunner = (policy: RoutePolicy, call: RoutedAttempt) => Promise<Response>;

/** Runs the call once and applies nothing. */
export const passThroughRunner: PolicyRunner = (_policy, call) => call(1, undefined);
