import { InvalidRuleError } from './invalid-rule-error.js';
import type { HttpRouteSpec, RuleSet, VirtualServiceSpec } from './rule-spec.js';

/** Options of `router.setWeights`. */
export interface SetWeightsOptions {
  /**
   * The route to change: its index in `spec.http` or its `name`. Default: every
   * route of the host's VirtualService whose destinations' subsets are all keys of `weights`.
   */
  route?: number | string;
}

/**
 * A copy of `ruleSet` with new weights on `host`'s routes, keyed by subset
 * name (or destination host for destinations without subset).
 * @throws {InvalidRuleError} when no route fits or a weight is not an integer 0..100.
 * @internal
 */
export function setRouteWeights(ruleSet: RuleSet, host: string, weights: Readonly<Record<string, number>>, options: SetWeightsOptions = {}): RuleSet {
  const vs = ruleSet.virtualServices.find((v) => v.hosts.includes(host)) ?? ruleSet.virtualServices.find((v) => v.hosts.some((h) => h.split('.')[0] === host));
  const where = (path: string) => ({ file: vs?.source.file ?? '<setWeights>', document: vs?.source.document ?? 0, path });
  if (vs === undefined) throw new InvalidRuleError(where(''), `no VirtualService routes host ${host}`);
  for (const [key, w] of Object.entries(weights)) {
    if (!Number.isInteger(w) || w < 0 || w > 100) throw new InvalidRuleError(where(`weights.${key}`), 'must be an integer 0..100');
  }
  let changed = 0;
  const http = vs.http.map((route: HttpRouteSpec, index): HttpRouteSpec => {
    const selected =
      options.route === undefined
        ? route.route.every((d) => (d.subset ?? d.host) in weights)
        : options.route === index || options.route === route.name;
    if (!selected) return route;
    const next = route.route.map((d) => ({ ...d, weight: weights[d.subset ?? d.host] ?? 0 }));
    if (next.every((d) => d.weight === 0)) throw new InvalidRuleError(where(`spec.http[${index}].route`), 'weights sum to 0: no destination can be chosen');
    changed++;
    return { ...route, route: next };
  });
  if (changed === 0) throw new InvalidRuleError(where('spec.http'), `no route of ${vs.name} matches ${options.route === undefined ? `subsets ${Object.keys(weights).join(', ')}` : `route ${String(options.route)}`}`);
  const updated: VirtualServiceSpec = { ...vs, http };
  return Object.freeze({ ...ruleSet, virtualServices: ruleSet.virtualServices.map((v) => (v === vs ? updated : v)) });
}
