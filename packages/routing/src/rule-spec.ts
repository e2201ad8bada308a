import type { RuleLocation } from './invalid-rule-error.js';

/** A validated `StringMatch`: exactly one of exact, prefix or regex (RE2 syntax, whole value). */
export type StringMatchSpec = { readonly exact: string } | { readonly prefix: string } | { readonly regex: string };

/** A header condition: a string match, or `{}` meaning "present". */
export type HeaderMatchSpec = StringMatchSpec | { readonly present: true };

/** One `HTTPMatchRequest` block; its conditions are ANDed. */
export interface HttpMatchSpec {
  readonly name?: string | undefined;
  readonly uri?: StringMatchSpec | undefined;
  readonly method?: StringMatchSpec | undefined;
  readonly authority?: StringMatchSpec | undefined;
  readonly scheme?: StringMatchSpec | undefined;
  readonly ignoreUriCase: boolean;
  /** Lowercase header name → condition. */
  readonly headers: Readonly<Record<string, HeaderMatchSpec>>;
  readonly withoutHeaders: Readonly<Record<string, HeaderMatchSpec>>;
  readonly queryParams: Readonly<Record<string, HeaderMatchSpec>>;
}

/** One weighted destination of a route. */
export interface DestinationSpec {
  readonly host: string;
  readonly subset?: string | undefined;
  /** Raw weight as written (0 when omitted and the route has several destinations). */
  readonly weight: number;
}

/** Fault injection of a route; a missing percentage means 0%. */
export interface FaultSpec {
  readonly delay?: { readonly fixedDelayMs: number; readonly percent: number } | undefined;
  /**
   * Istio's `httpStatus` or `grpcStatus` (one of them), with the other filled in: `grpcCode` is what
   * a gRPC call fails with, `httpStatus` what a plain HTTP call is answered with.
   */
  readonly abort?: { readonly httpStatus: number; readonly grpcCode: number; readonly percent: number } | undefined;
}

/** Retries with Istio's defaults filled in. */
export interface RetriesSpec {
  readonly attempts: number;
  /** Per-try timeout; `undefined` means the route timeout. */
  readonly perTryTimeoutMs?: number | undefined;
  readonly retryOn: readonly string[];
}

/** A mirror target with its percentage (100 when `mirrorPercentage` is missing). */
export interface MirrorSpec {
  readonly host: string;
  readonly subset?: string | undefined;
  readonly percent: number;
}

/** Header edits of a route (`headers.request.set/add/remove`). */
export interface HeaderOpsSpec {
  readonly set: Readonly<Record<string, string>>;
  readonly add: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/** One `HTTPRoute`, validated. */
export interface HttpRouteSpec {
  readonly name?: string | undefined;
  /** Empty: catch-all. */
  readonly match: readonly HttpMatchSpec[];
  readonly route: readonly DestinationSpec[];
  readonly timeoutMs?: number | undefined;
  readonly retries: RetriesSpec;
  readonly fault?: FaultSpec | undefined;
  readonly mirrors: readonly MirrorSpec[];
  readonly requestHeaders?: HeaderOpsSpec | undefined;
}

/** A validated VirtualService. */
export interface VirtualServiceSpec {
  readonly kind: 'VirtualService';
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly hosts: readonly string[];
  readonly http: readonly HttpRouteSpec[];
  readonly source: RuleLocation;
}

/** Load balancing of a host or subset. */
export type LoadBalancerSpec =
  | { readonly simple: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'PASSTHROUGH' | 'UNSPECIFIED' }
  | {
      readonly consistentHash:
        | { readonly httpHeaderName: string }
        | { readonly httpCookie: string }
        | { readonly httpQueryParameterName: string };
    };

/** `outlierDetection` with Istio's defaults filled in. */
export interface OutlierDetectionSpec {
  readonly consecutive5xxErrors: number;
  readonly consecutiveGatewayErrors?: number | undefined;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
  readonly minHealthPercent: number;
}

/** The parts of a `TrafficPolicy` dyeline applies in-process. */
export interface TrafficPolicySpec {
  readonly loadBalancer?: LoadBalancerSpec | undefined;
  readonly outlierDetection?: OutlierDetectionSpec | undefined;
}

/** A named subset of a host's instances. */
export interface SubsetSpec {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly trafficPolicy?: TrafficPolicySpec | undefined;
}

/** A validated DestinationRule. */
export interface DestinationRuleSpec {
  readonly kind: 'DestinationRule';
  readonly name: string;
  readonly namespace?: string | undefined;
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicySpec | undefined;
  readonly subsets: readonly SubsetSpec[];
  readonly source: RuleLocation;
}

/** A field dyeline does not apply, reported at load time with its path. */
export interface RuleWarning extends RuleLocation {
  readonly message: string;
}

/** Validated rule documents, ready to compile. */
export interface RuleSet {
  readonly virtualServices: readonly VirtualServiceSpec[];
  readonly destinationRules: readonly DestinationRuleSpec[];
  readonly warnings: readonly RuleWarning[];
}
