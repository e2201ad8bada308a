import { compileStringMatch } from './string-match.js';
import type { StringTest } from './string-match.js';
import { hashString } from './sticky-hash.js';
import type { KeyHash } from './sticky-hash.js';
import type { RoutePolicy } from './route-policy.js';
import type {
  DestinationRuleSpec,
  HeaderMatchSpec,
  HttpMatchSpec,
  LoadBalancerSpec,
  OutlierDetectionSpec,
  RuleSet,
  RuleWarning,
  TrafficPolicySpec,
} from './rule-spec.js';

/** Which request headers show the tag's fields to rules (explicit headers win). */
export interface TagHeaderNames {
  /** Header names under which rules see the tag's color. Default `['x-color']`. */
  readonly color: readonly string[];
  /** Header names under which rules see the tag's user. Default `['x-user', 'user', 'end-user']`. */
  readonly user: readonly string[];
}

/** @internal */
export const enum TagSource {
  Extra = 0,
  Color = 1,
  User = 2,
}

/** @internal */
export interface CompiledCondition {
  readonly name: string;
  readonly source: TagSource;
  /** `undefined`: the header must merely be present. */
  readonly test: StringTest | undefined;
}

/** @internal */
export interface CompiledMatch {
  readonly name: string | undefined;
  readonly uri: StringTest | undefined;
  readonly method: StringTest | undefined;
  readonly authority: StringTest | undefined;
  readonly scheme: StringTest | undefined;
  readonly headers: readonly CompiledCondition[];
  readonly without: readonly CompiledCondition[];
  readonly query: readonly CompiledCondition[];
}

/** @internal */
export interface CompiledDestination {
  readonly host: string;
  readonly subset: string | undefined;
  readonly weight: number;
  readonly policy: RoutePolicy;
}

/** @internal */
export interface CompiledRoute {
  readonly index: number;
  readonly name: string | undefined;
  readonly virtualService: string;
  readonly matches: readonly CompiledMatch[];
  readonly destinations: readonly CompiledDestination[];
  readonly weights: readonly number[];
  readonly seeds: readonly KeyHash[];
  readonly totalWeight: number;
}

/** @internal */
export interface CompiledSubset {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly policy: TrafficPolicySpec;
}

/** @internal */
export interface CompiledDestinationRule {
  readonly host: string;
  readonly policy: TrafficPolicySpec;
  readonly subsets: ReadonlyMap<string, CompiledSubset>;
}

/** A rule set compiled for fast matching. Immutable; a router swaps whole sets. */
export interface CompiledRules {
  /** The validated documents this was compiled from. */
  readonly ruleSet: RuleSet;
  /** Warnings of loading and compiling (e.g. a route naming an undefined subset). */
  readonly warnings: readonly RuleWarning[];
  /** @internal */
  readonly routes: ReadonlyMap<string, readonly CompiledRoute[]>;
  /** @internal */
  readonly destinationRules: ReadonlyMap<string, CompiledDestinationRule>;
}

const NO_POLICY: TrafficPolicySpec = Object.freeze({});

function mergePolicy(host: TrafficPolicySpec | undefined, subset: TrafficPolicySpec | undefined): TrafficPolicySpec {
  // Istio: a subset's settings override the host's, field by field.
  return Object.freeze({
    loadBalancer: subset?.loadBalancer ?? host?.loadBalancer,
    outlierDetection: subset?.outlierDetection ?? host?.outlierDetection,
  });
}

function compileConditions(map: Readonly<Record<string, HeaderMatchSpec>>, tagHeaders: TagHeaderNames | undefined): CompiledCondition[] {
  return Object.entries(map).map(([name, spec]) => ({
    name,
    source: tagHeaders === undefined ? TagSource.Extra : tagHeaders.color.includes(name) ? TagSource.Color : tagHeaders.user.includes(name) ? TagSource.User : TagSource.Extra,
    test: 'present' in spec ? undefined : compileStringMatch(spec),
  }));
}

function compileMatch(spec: HttpMatchSpec, tagHeaders: TagHeaderNames): CompiledMatch {
  return {
    name: spec.name,
    uri: spec.uri === undefined ? undefined : compileStringMatch(spec.uri, spec.ignoreUriCase),
    method: spec.method === undefined ? undefined : compileStringMatch(spec.method),
    authority: spec.authority === undefined ? undefined : compileStringMatch(spec.authority),
    scheme: spec.scheme === undefined ? undefined : compileStringMatch(spec.scheme),
    headers: compileConditions(spec.headers, tagHeaders),
    without: compileConditions(spec.withoutHeaders, tagHeaders),
    query: compileConditions(spec.queryParams, undefined),
  };
}

/** Registers `value` under `host` and, when free, under its first DNS label (`reviews.prod.svc.cluster.local` → `reviews`). */
function indexByHost<T>(entries: readonly (readonly [string, T])[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const [host, value] of entries) if (!map.has(host)) map.set(host, value);
  for (const [host, value] of entries) {
    const short = host.split('.')[0] as string;
    if (!map.has(short)) map.set(short, value);
  }
  return map;
}

/** Finds `host` in a map built by {@link indexByHost}. @internal */
export function lookupHost<T>(map: ReadonlyMap<string, T>, host: string): T | undefined {
  const exact = map.get(host);
  if (exact !== undefined) return exact;
  const colon = host.lastIndexOf(':');
  const bare = colon === -1 ? host : host.slice(0, colon);
  return map.get(bare) ?? map.get(bare.split('.')[0] as string);
}

function compileDestinationRule(dr: DestinationRuleSpec): CompiledDestinationRule {
  const subsets = new Map<string, CompiledSubset>();
  for (const s of dr.subsets) subsets.set(s.name, { name: s.name, labels: Object.entries(s.labels), policy: mergePolicy(dr.trafficPolicy, s.trafficPolicy) });
  return { host: dr.host, policy: dr.trafficPolicy ?? NO_POLICY, subsets };
}

/** The load balancer and outlier policy that apply to a host's subset. @internal */
export function trafficPolicyFor(
  rules: ReadonlyMap<string, CompiledDestinationRule>,
  host: string,
  subset: string | undefined,
): { loadBalancer: LoadBalancerSpec | undefined; outlierDetection: OutlierDetectionSpec | undefined } {
  const dr = lookupHost(rules, host);
  if (dr === undefined) return { loadBalancer: undefined, outlierDetection: undefined };
  const policy = subset === undefined ? dr.policy : (dr.subsets.get(subset)?.policy ?? dr.policy);
  return { loadBalancer: policy.loadBalancer, outlierDetection: policy.outlierDetection };
}

/**
 * Compiles a validated rule set: string matchers (RE2 regexes included) are
 * built once, header conditions learn whether the tag can answer them, and
 * per-destination policies are frozen, so a decision allocates almost nothing.
 */
export function compileRules(ruleSet: RuleSet, tagHeaders: TagHeaderNames): CompiledRules {
  const warnings: RuleWarning[] = [...ruleSet.warnings];
  const destinationRules = indexByHost(ruleSet.destinationRules.map((dr) => [dr.host, compileDestinationRule(dr)] as const));
  const hostEntries: (readonly [string, readonly CompiledRoute[]])[] = [];
  const seenHosts = new Set<string>();
  for (const vs of ruleSet.virtualServices) {
    const routes: CompiledRoute[] = vs.http.map((http, index) => {
      const destinations = http.route.map((d, di) => {
        const dr = lookupHost(destinationRules, d.host);
        if (d.subset !== undefined && dr?.subsets.get(d.subset) === undefined) {
          warnings.push({ ...vs.source, path: `spec.http[${index}].route[${di}].destination.subset`, message: `subset "${d.subset}" of ${d.host} is defined by no DestinationRule; calls to it fail` });
        }
        const tp = trafficPolicyFor(destinationRules, d.host, d.subset);
        const policy: RoutePolicy = Object.freeze({
          timeoutMs: http.timeoutMs,
          retries: http.retries,
          fault: http.fault,
          mirrors: http.mirrors,
          requestHeaders: http.requestHeaders,
          outlierDetection: tp.outlierDetection,
        });
        return { host: d.host, subset: d.subset, weight: d.weight, policy };
      });
      return {
        index,
        name: http.name,
        virtualService: vs.name,
        matches: http.match.map((m) => compileMatch(m, tagHeaders)),
        destinations,
        weights: destinations.map((d) => d.weight),
        // Seeded by subset name, not host: a user sticks to "v2" on every hop.
        seeds: destinations.map((d) => hashString(d.subset ?? d.host)),
        totalWeight: destinations.reduce((sum, d) => sum + d.weight, 0),
      };
    });
    vs.hosts.forEach((host, i) => {
      if (seenHosts.has(host)) warnings.push({ ...vs.source, path: `spec.hosts[${i}]`, message: `host ${host} already has a VirtualService; this one is ignored for it` });
      seenHosts.add(host);
      hostEntries.push([host, routes]);
    });
  }
  return Object.freeze({ ruleSet, warnings, routes: indexByHost(hostEntries), destinationRules });
}
