export { InvalidRuleError, isInvalidRuleError } from './invalid-rule-error.js';
export type { RuleLocation } from './invalid-rule-error.js';
export { NoInstanceError, isNoInstanceError } from './no-instance-error.js';
export { LaneUnavailableError, isLaneUnavailableError } from './lane-unavailable-error.js';
export type { Instance, InstanceSource } from './instance.js';
export type { HeaderGetter, RouteRequest } from './route-request.js';
export { loadRules, loadRuleFile, mergeRuleSets } from './load-rules.js';
export type { LoadRulesOptions, RuleInput } from './load-rules.js';
export type {
  DestinationRuleSpec,
  DestinationSpec,
  FaultSpec,
  HeaderMatchSpec,
  HeaderOpsSpec,
  HttpMatchSpec,
  HttpRouteSpec,
  LoadBalancerSpec,
  MirrorSpec,
  OutlierDetectionSpec,
  RetriesSpec,
  RuleSet,
  RuleWarning,
  StringMatchSpec,
  SubsetSpec,
  TrafficPolicySpec,
  VirtualServiceSpec,
} from './rule-spec.js';
export { compileRules } from './compile-rules.js';
export type { CompiledRules, TagHeaderNames } from './compile-rules.js';
export type { RoutePolicy } from './route-policy.js';
export type { MatchedRoute, RouteDecision, RouteExplanation, RouteTrace } from './route-decision.js';
export { createRouter } from './router.js';
export type { InstanceFilter, Router, RouterOptions, StickyKeyOptions } from './router-types.js';
export type { OutlierEvent } from './outlier-pools.js';
export type { SetWeightsOptions } from './set-weights.js';
export { parseDuration } from './duration.js';
export { routeResiliencePolicies } from './route-resilience.js';
export type { RouteResilienceOptions } from './route-resilience.js';
export { GRPC_STATUS_CODES, grpcCodeOfHttpStatus, httpStatusOfGrpcCode } from './status-mapping.js';
