import type { Instance } from './instance.js';
import type { RoutePolicy } from './route-policy.js';

/** Which route of which VirtualService matched. */
export interface MatchedRoute {
  /** `metadata.name` of the VirtualService. */
  readonly virtualService: string;
  /** Index in `spec.http`. */
  readonly index: number;
  /** The route's `name`, if it has one. */
  readonly name: string | undefined;
}

/** The outcome of routing one outbound call. */
export interface RouteDecision {
  /** The destination host (a route may send `reviews` calls to another host). */
  readonly host: string;
  /** The chosen subset, if the route names one. */
  readonly subset: string | undefined;
  /** The instance to call. */
  readonly instance: Instance;
  /** The matched route; `undefined` when the host has no VirtualService (all instances, default policy). */
  readonly route: MatchedRoute | undefined;
  /** The effective lane: the tag's color, else the router's `selfColor`. */
  readonly color: string | undefined;
  /** True when a colored request had no instance of its color here and went to the base lane. */
  readonly fellBack: boolean;
  /** Timeout, retries, fault, mirrors, header edits and outlier detection to apply. */
  readonly policy: RoutePolicy;
}

/** One route as {@link Router.explain} saw it. */
export interface RouteTrace {
  readonly index: number;
  readonly name: string | undefined;
  /** Index of the match block that held, `0` for a catch-all, `-1` when none held. */
  readonly matchedBlock: number;
}

/** A decision and why it was made. */
export interface RouteExplanation {
  /** The host as the caller named it. */
  readonly requestedHost: string;
  /** The VirtualService used, if any. */
  readonly virtualService: string | undefined;
  /** Every route tried, in order, until one matched. */
  readonly routes: readonly RouteTrace[];
  /** The matched route's destinations with their share of traffic (0..1). */
  readonly destinations: readonly { host: string; subset: string | undefined; share: number }[];
  /** How the destination was chosen. */
  readonly choice: 'single' | 'sticky' | 'random' | 'none';
  /** The sticky key used, if any. */
  readonly stickyKey: string | undefined;
  /** Instances of the chosen subset in the request's lane (or the base lane after fallback), after filters. */
  readonly candidates: readonly Instance[];
  /** The decision, when one could be made. */
  readonly decision: RouteDecision | undefined;
  /** The error `decide` would throw, when it would. */
  readonly error: Error | undefined;
}
