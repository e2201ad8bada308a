import { EMPTY_TAG, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { compileRules, lookupHost, trafficPolicyFor } from './compile-rules.js';
import type { CompiledRoute, TagHeaderNames } from './compile-rules.js';
import { loadRules } from './load-rules.js';
import type { Instance, InstanceSource } from './instance.js';
import type { Router, RouterOptions } from './router-types.js';
import { PoolCache } from './instance-pool.js';
import type { InstancePool } from './instance-pool.js';
import { chooseInstance, instanceKey } from './choose-instance.js';
import { matchRoute } from './match-route.js';
import { hashString, stickyIndex } from './sticky-hash.js';
import type { KeyHash } from './sticky-hash.js';
import { readCookie, readHeader, readQuery } from './route-request.js';
import type { RouteRequest } from './route-request.js';
import { NoInstanceError } from './no-instance-error.js';
import { LaneUnavailableError } from './lane-unavailable-error.js';
import { DEFAULT_RETRY_ON } from './read-virtual-service.js';
import type { RoutePolicy } from './route-policy.js';
import type { MatchedRoute, RouteDecision, RouteExplanation, RouteTrace } from './route-decision.js';
import type { RuleSet } from './rule-spec.js';
import { setRouteWeights } from './set-weights.js';
import { OutlierPools, outlierId } from './outlier-pools.js';

interface LaneOut {
  fellBack: boolean;
  pool: InstancePool | undefined;
}

const DEFAULT_TAG_HEADERS: TagHeaderNames = { color: ['x-color'], user: ['x-user', 'user', 'end-user'] };
const DEFAULT_RETRIES = Object.freeze({ attempts: 2, retryOn: DEFAULT_RETRY_ON });
const EMPTY_RULES: RuleSet = Object.freeze({ virtualServices: [], destinationRules: [], warnings: [] });

function checkNames(option: string, names: readonly string[] | undefined, fallback: readonly string[]): readonly string[] {
  if (names === undefined) return fallback;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || n === '')) throw new TypeError(`createRouter: ${option} must be a list of header names`);
  return names.map((n) => n.toLowerCase());
}

/**
 * Creates a router: Istio route rules, color lanes with per-hop fallback,
 * sticky weighted canaries and live updates, over a live instance source.
 *
 * @throws {TypeError} naming the option when options are malformed.
 * @throws {InvalidRuleError} when the initial rules are invalid.
 */
export function createRouter(options: RouterOptions): Router {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRouter: options must be an object');
  const { instances } = options;
  const source: InstanceSource | undefined = Array.isArray(instances) ? undefined : (instances as InstanceSource);
  const fixed: readonly Instance[] = Array.isArray(instances) ? Object.freeze([...(instances as Instance[])]) : [];
  if (source !== undefined && (typeof source.current !== 'function' || typeof source.subscribe !== 'function')) {
    throw new TypeError('createRouter: instances must be an InstanceSource or an array of instances');
  }
  for (const name of ['selfColor', 'laneLabel'] as const) {
    if (options[name] !== undefined && (typeof options[name] !== 'string' || options[name] === '')) throw new TypeError(`createRouter: ${name} must be a non-empty string`);
  }
  const filters = options.filters ?? [];
  if (!Array.isArray(filters) || filters.some((f) => typeof f !== 'function')) throw new TypeError('createRouter: filters must be a list of functions');
  const tagHeaders: TagHeaderNames = {
    color: checkNames('tagHeaders.color', options.tagHeaders?.color, DEFAULT_TAG_HEADERS.color),
    user: checkNames('tagHeaders.user', options.tagHeaders?.user, DEFAULT_TAG_HEADERS.user),
  };
  const sticky = options.stickyKey ?? {};
  for (const key of ['header', 'cookie', 'query'] as const) {
    if (sticky[key] !== undefined && (typeof sticky[key] !== 'string' || sticky[key] === '')) throw new TypeError(`createRouter: stickyKey.${key} must be a non-empty string`);
  }
  const stickyHeader = sticky.header?.toLowerCase();
  const stickyUser = sticky.user !== false;
  const random = options.random ?? Math.random;
  const force = options.force === true;
  const selfColor = options.selfColor;
  const pools = new PoolCache(options.laneLabel ?? 'color');
  const inFlight = new Map<string, number>();
  const keyScratch: KeyHash = { lo: 0, hi: 0 };
  const refs = new WeakMap<CompiledRoute, MatchedRoute>();
  const defaultPolicies = new Map<string, RoutePolicy>();
  if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('createRouter: clock must be a function');
  if (options.onOutlier !== undefined && typeof options.onOutlier !== 'function') throw new TypeError('createRouter: onOutlier must be a function');
  const outliers = new OutlierPools(options.clock, options.onOutlier);

  let compiled = compileRules(loadRules(options.rules ?? EMPTY_RULES, { onWarning: options.onWarning }), tagHeaders);

  const snapshot = (): readonly Instance[] => (source === undefined ? fixed : source.current());

  function stickyKeyOf(request: RouteRequest, tag: Tag): string | undefined {
    if (stickyHeader !== undefined) {
      const v = readHeader(request, stickyHeader);
      if (v !== undefined && v !== '') return v;
    }
    if (sticky.cookie !== undefined) {
      const v = readCookie(request, sticky.cookie);
      if (v !== undefined && v !== '') return v;
    }
    if (sticky.query !== undefined) {
      const v = readQuery(request, sticky.query);
      if (v !== undefined && v !== '') return v;
    }
    return stickyUser ? tag.user : undefined;
  }

  function chooseDestination(route: CompiledRoute, request: RouteRequest, tag: Tag): number {
    if (route.destinations.length === 1) return 0;
    const key = stickyKeyOf(request, tag);
    if (key !== undefined) return stickyIndex(hashString(key, 0, keyScratch), route.seeds, route.weights);
    let point = random() * route.totalWeight;
    for (let i = 0; i < route.weights.length; i++) {
      point -= route.weights[i] as number;
      if (point < 0 && (route.weights[i] as number) > 0) return i;
    }
    return route.weights.findLastIndex((w) => w > 0);
  }

  function defaultPolicy(host: string): RoutePolicy {
    let policy = defaultPolicies.get(host);
    if (policy === undefined) {
      const tp = trafficPolicyFor(compiled.destinationRules, host, undefined);
      policy = Object.freeze({ timeoutMs: undefined, retries: DEFAULT_RETRIES, fault: undefined, mirrors: [], requestHeaders: undefined, outlierDetection: tp.outlierDetection });
      defaultPolicies.set(host, policy);
    }
    return policy;
  }

  /** Lane rule, then filters; `out` tells the pool and whether the lane fell back. */
  function candidatesFor(host: string, subset: string | undefined, tag: Tag, color: string | undefined, out: LaneOut): readonly Instance[] {
    const pool = pools.get(compiled, snapshot(), host, subset);
    if (pool === undefined) throw new NoInstanceError(host, subset, 'the subset is defined by no DestinationRule');
    out.pool = pool;
    let list = pool.uncolored;
    out.fellBack = false;
    if (color !== undefined) {
      const lane = pool.byColor.get(color);
      if (lane !== undefined) list = lane;
      else if (force) throw new LaneUnavailableError(host, color);
      else out.fellBack = true;
    }
    // Outlier detection judges the whole subset (Envoy's cluster); the lane keeps its healthy members.
    const detector = pool.outlierDetection === undefined ? undefined : outliers.get(host, subset, pool.outlierDetection);
    if (detector !== undefined) {
      const healthy = detector.filter(pool.all);
      if (healthy !== pool.all) {
        const keep = new Set(healthy);
        list = list.filter((i) => keep.has(i));
      }
    }
    for (const filter of filters) list = filter(tag, list);
    if (list.length === 0) {
      throw new NoInstanceError(host, subset, pool.all.length === 0 ? 'no instance is registered' : `no instance left in the ${color === undefined || out.fellBack ? 'base lane' : `"${color}" lane`}`);
    }
    return list;
  }

  interface Trace {
    routes: RouteTrace[];
    choice: RouteExplanation['choice'];
    candidates: readonly Instance[];
    route: CompiledRoute | undefined;
  }
  const laneOut: LaneOut = { fellBack: false, pool: undefined };

  function resolve(request: RouteRequest, tag: Tag, trace: Trace | undefined): RouteDecision {
    const routes = lookupHost(compiled.routes, request.host);
    let route: CompiledRoute | undefined;
    if (routes !== undefined) {
      for (const candidate of routes) {
        const block = matchRoute(request, tag === EMPTY_TAG ? undefined : tag, candidate);
        trace?.routes.push({ index: candidate.index, name: candidate.name, matchedBlock: block });
        if (block !== -1) {
          route = candidate;
          break;
        }
      }
      if (route === undefined) throw new NoInstanceError(request.host, undefined, 'no route of its VirtualService matches the request');
    }
    const color = tag.color ?? selfColor;
    let host: string;
    let subset: string | undefined;
    let policy: RoutePolicy;
    let ref: MatchedRoute | undefined;
    if (route === undefined) {
      const colon = request.host.lastIndexOf(':');
      host = colon === -1 ? request.host : request.host.slice(0, colon);
      policy = defaultPolicy(host);
      if (trace !== undefined) trace.choice = 'single';
    } else {
      const index = chooseDestination(route, request, tag);
      const destination = route.destinations[index];
      if (destination === undefined) throw new NoInstanceError(request.host, undefined, 'every destination has weight 0');
      host = destination.host;
      subset = destination.subset;
      policy = destination.policy;
      ref = refs.get(route);
      if (ref === undefined) refs.set(route, (ref = Object.freeze({ virtualService: route.virtualService, index: route.index, name: route.name })));
      if (trace !== undefined) {
        trace.route = route;
        trace.choice = route.destinations.length === 1 ? 'single' : stickyKeyOf(request, tag) === undefined ? 'random' : 'sticky';
      }
    }
    const list = candidatesFor(host, subset, tag, color, laneOut);
    if (trace !== undefined) trace.candidates = list;
    const instance = chooseInstance(laneOut.pool as InstancePool, list, request, inFlight, random);
    return { host, subset, instance, route: ref, color, fellBack: laneOut.fellBack, policy };
  }

  const router: Router = {
    decide(request, tag) {
      return resolve(request, tag ?? currentTag() ?? EMPTY_TAG, undefined);
    },
    explain(request, tag) {
      const effective = tag ?? currentTag() ?? EMPTY_TAG;
      const trace: Trace = { routes: [], choice: 'none', candidates: [], route: undefined };
      let decision: RouteDecision | undefined;
      let error: Error | undefined;
      try {
        decision = resolve(request, effective, trace);
      } catch (e) {
        error = e as Error;
      }
      const route = trace.route;
      return {
        requestedHost: request.host,
        virtualService: route?.virtualService ?? lookupHost(compiled.routes, request.host)?.[0]?.virtualService,
        routes: trace.routes,
        destinations: route === undefined ? [] : route.destinations.map((d) => ({ host: d.host, subset: d.subset, share: d.weight / route.totalWeight })),
        choice: trace.choice,
        stickyKey: route !== undefined && route.destinations.length > 1 ? stickyKeyOf(request, effective) : undefined,
        candidates: trace.candidates,
        decision,
        error,
      };
    },
    pick(host, subset, tag, request) {
      const effective = tag ?? currentTag() ?? EMPTY_TAG;
      const list = candidatesFor(host, subset, effective, effective.color ?? selfColor, laneOut);
      return chooseInstance(laneOut.pool as InstancePool, list, request ?? { host }, inFlight, random);
    },
    update(rules) {
      try {
        const next = compileRules(loadRules(rules, { onWarning: options.onWarning }), tagHeaders);
        compiled = next;
        defaultPolicies.clear();
        return next;
      } catch (error) {
        options.onError?.(error);
        throw error;
      }
    },
    setWeights(host, weights, setOptions) {
      return router.update(setRouteWeights(compiled.ruleSet, host, weights, setOptions));
    },
    handles(host) {
      if (lookupHost(compiled.routes, host) !== undefined) return true;
      return (pools.get(compiled, snapshot(), host, undefined)?.all.length ?? 0) > 0;
    },
    get rules() {
      return compiled;
    },
    record(target, instance, outcome) {
      const pool = pools.get(compiled, snapshot(), target.host, target.subset);
      if (pool?.outlierDetection === undefined) return;
      outliers.get(target.host, target.subset, pool.outlierDetection)?.record(outlierId(instance), outcome);
    },
    begin(instance) {
      const key = instanceKey(instance);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const n = (inFlight.get(key) ?? 1) - 1;
        if (n <= 0) inFlight.delete(key);
        else inFlight.set(key, n);
      };
    },
  };
  return router;
}
