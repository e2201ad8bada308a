import type { BreakerStateChange } from './breaker-config.js';

/**
 * What a policy reports through `onEvent`: plain objects, ready for logs or
 * for metrics (the Prometheus exporter of `@dyeline/observe` counts them).
 */
export type ResilienceEvent =
  | ({ readonly type: 'breaker-state' } & BreakerStateChange)
  | { readonly type: 'breaker-rejected'; readonly name: string; readonly retryAfterMs: number }
  | { readonly type: 'timeout'; readonly timeoutMs: number; readonly deadline: boolean }
  | { readonly type: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'retry-budget-exhausted'; readonly attempt: number; readonly reason: string }
  | { readonly type: 'fault'; readonly kind: 'delay' | 'abort'; readonly delayMs?: number; readonly status?: number; readonly grpcCode?: number };

/** Receives {@link ResilienceEvent}s; must not throw (a throw is swallowed). */
export type ResilienceEventListener = (event: ResilienceEvent) => void;

/** @internal Delivers an event; a throwing listener never breaks the call. */
export function emit(listener: ResilienceEventListener | undefined, event: ResilienceEvent): void {
  if (listener === undefined) return;
  try {
    listener(event);
  } catch {
    // Observation only: never throw into the request.
  }
}
