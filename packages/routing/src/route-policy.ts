import type { FaultSpec, HeaderOpsSpec, MirrorSpec, OutlierDetectionSpec, RetriesSpec } from './rule-spec.js';

/**
 * What the outbound layer applies to a routed call, as plain data: Istio's
 * route `timeout`, `retries` (defaults filled in), `fault`, mirrors and
 * header edits, plus the destination's `outlierDetection`.
 */
export interface RoutePolicy {
  /** Route timeout; `undefined` = no timeout (Istio's default). */
  readonly timeoutMs: number | undefined;
  /** Retries; Istio's default is 2 attempts on connect-failure,refused-stream,unavailable,cancelled. */
  readonly retries: RetriesSpec;
  /** Fault injection; a missing percentage affects no request. */
  readonly fault: FaultSpec | undefined;
  /** Fire-and-forget copies. */
  readonly mirrors: readonly MirrorSpec[];
  /** Request header edits. */
  readonly requestHeaders: HeaderOpsSpec | undefined;
  /** Outlier detection of the chosen destination (subset policy over host policy). */
  readonly outlierDetection: OutlierDetectionSpec | undefined;
}
