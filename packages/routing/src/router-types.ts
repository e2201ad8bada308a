import type { Tag } from '@dyeline/core';
import type { CompiledRules, TagHeaderNames } from './compile-rules.js';
import type { RuleInput } from './load-rules.js';
import type { Instance, InstanceSource } from './instance.js';
import type { RouteRequest } from './route-request.js';
import type { RouteDecision, RouteExplanation } from './route-decision.js';
import type { RuleWarning } from './rule-spec.js';
import type { SetWeightsOptions } from './set-weights.js';
import type { OutlierEvent } from './outlier-pools.js';

/** Narrows the candidates of one pick; sees the whole list, returns the ones to keep. */
export type InstanceFilter = (tag: Tag, instances: readonly Instance[]) => readonly Instance[];

/** Where the sticky key of weighted choices comes from; the first present wins. */
export interface StickyKeyOptions {
  /** A request header (lowercase). */
  header?: string;
  /** A cookie. */
  cookie?: string;
  /** A query parameter. */
  query?: string;
  /** Use the tag's user. Default `true`. */
  user?: boolean;
}

/** Options of {@link createRouter}. */
export interface RouterOptions {
  /** Istio VirtualService/DestinationRule documents; none: every host goes to all its instances. */
  rules?: RuleInput;
  /** Live instances (a registry source) or a fixed list. */
  instances: InstanceSource | readonly Instance[];
  /** This service's own deployment color: the lane of calls whose tag has none. */
  selfColor?: string;
  /** The instance label that names its lane. Default `color`. */
  laneLabel?: string;
  /** Throw {@link LaneUnavailableError} instead of falling back to the base lane. Default `false`. */
  force?: boolean;
  /** Run in order after lane selection, on the whole candidate list. */
  filters?: readonly InstanceFilter[];
  /** Sticky key of weighted choices. Default: the tag's user. */
  stickyKey?: StickyKeyOptions;
  /** Header names under which rules see the tag (explicit request headers win). */
  tagHeaders?: Partial<TagHeaderNames>;
  /** Unsupported fields found when loading rules. */
  onWarning?: (warning: RuleWarning) => void;
  /** A rejected update (the previous rules keep serving). */
  onError?: (error: unknown) => void;
  /** Random source in [0, 1) for un-keyed splits and load balancing. Default `Math.random`. */
  random?: () => number;
  /** Monotonic milliseconds for outlier detection. Default `performance.now`. */
  clock?: () => number;
  /** Each ejection by a DestinationRule's `outlierDetection`. */
  onOutlier?: (event: OutlierEvent) => void;
}

/** Routes outbound calls; holds the current compiled rules. */
export interface Router {
  /**
   * Chooses the instance for a call. `tag` defaults to the current tag.
   * @throws {NoInstanceError} when no route matches or no instance is left.
   * @throws {LaneUnavailableError} with `force` when the lane has no instance.
   */
  decide(request: RouteRequest, tag?: Tag): RouteDecision;
  /** The decision and why; never throws (the error is in the result). */
  explain(request: RouteRequest, tag?: Tag): RouteExplanation;
  /**
   * Picks an instance of `host`/`subset` for `tag` (lanes, filters and load balancing apply) — for mirrors.
   * @throws {NoInstanceError} | {LaneUnavailableError}
   */
  pick(host: string, subset: string | undefined, tag?: Tag, request?: RouteRequest): Instance;
  /**
   * Replaces the rules; applies to the next call.
   * @throws {InvalidRuleError} (also reported to `onError`); the previous rules keep serving.
   */
  update(rules: RuleInput): CompiledRules;
  /** Changes the weights of a host's routes live (Envoy-style traffic shift). @throws {InvalidRuleError} */
  setWeights(host: string, weights: Readonly<Record<string, number>>, options?: SetWeightsOptions): CompiledRules;
  /** True when `host` has a VirtualService or registered instances: a call to it should be routed. */
  handles(host: string): boolean;
  /** The rules serving now. */
  readonly rules: CompiledRules;
  /**
   * Records how a call to `instance`, picked for `target`'s host and subset, ended: `true` ok,
   * `false` a connection failure, or the HTTP status. Feeds the `outlierDetection` of that
   * host/subset's DestinationRule (an ejected instance gets no traffic until it returns);
   * a no-op where none is set. The routed clients of `@dyeline/http` call it.
   */
  record(target: { readonly host: string; readonly subset: string | undefined }, instance: Instance, outcome: boolean | number): void;
  /** Counts a call in flight for LEAST_REQUEST; returns the function that ends it. */
  begin(instance: Instance): () => void;
}
