import { lookupHost, trafficPolicyFor } from './compile-rules.js';
import type { CompiledRules } from './compile-rules.js';
import type { Instance } from './instance.js';
import type { LoadBalancerSpec, OutlierDetectionSpec } from './rule-spec.js';

/** The instances of one host's subset, split by lane once per snapshot. @internal */
export interface InstancePool {
  readonly host: string;
  readonly subset: string | undefined;
  readonly all: readonly Instance[];
  readonly uncolored: readonly Instance[];
  readonly byColor: ReadonlyMap<string, readonly Instance[]>;
  readonly loadBalancer: LoadBalancerSpec | undefined;
  readonly outlierDetection: OutlierDetectionSpec | undefined;
  /** Round-robin cursor. */
  cursor: number;
}

const NONE: readonly Instance[] = Object.freeze([]);

function hasLabels(instance: Instance, labels: readonly (readonly [string, string])[]): boolean {
  for (const [key, value] of labels) if (instance.labels[key] !== value) return false;
  return true;
}

/**
 * Caches pools per (rules, instance snapshot): a new snapshot or rule set
 * drops the cache, so a vanished instance is gone on the next pick.
 * @internal
 */
export class PoolCache {
  #rules: CompiledRules | undefined;
  #snapshot: readonly Instance[] | undefined;
  #byService = new Map<string, Instance[]>();
  #pools = new Map<string, InstancePool | null>();

  constructor(private readonly laneLabel: string) {}

  get(rules: CompiledRules, snapshot: readonly Instance[], host: string, subset: string | undefined): InstancePool | undefined {
    if (rules !== this.#rules || snapshot !== this.#snapshot) this.#reset(rules, snapshot);
    const key = subset === undefined ? host : `${host}\u0000${subset}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = this.#build(rules, host, subset);
      this.#pools.set(key, pool);
    }
    return pool ?? undefined;
  }

  #reset(rules: CompiledRules, snapshot: readonly Instance[]): void {
    this.#rules = rules;
    this.#snapshot = snapshot;
    this.#pools.clear();
    const byService = new Map<string, Instance[]>();
    for (const instance of snapshot) {
      let list = byService.get(instance.service);
      if (list === undefined) byService.set(instance.service, (list = []));
      list.push(instance);
    }
    // Also index `reviews.prod.svc.cluster.local` under `reviews`, unless taken.
    for (const [service, list] of [...byService]) {
      const short = service.split('.')[0] as string;
      if (!byService.has(short)) byService.set(short, list);
    }
    this.#byService = byService;
  }

  #build(rules: CompiledRules, host: string, subset: string | undefined): InstancePool | null {
    const service = lookupHost(this.#byService, host) ?? NONE;
    let all: readonly Instance[] = service;
    if (subset !== undefined) {
      const dr = lookupHost(rules.destinationRules, host);
      const spec = dr?.subsets.get(subset);
      if (spec === undefined) return null;
      all = service.filter((i) => hasLabels(i, spec.labels));
    }
    const uncolored: Instance[] = [];
    const byColor = new Map<string, Instance[]>();
    for (const instance of all) {
      const color = instance.labels[this.laneLabel];
      if (color === undefined || color === '') {
        uncolored.push(instance);
        continue;
      }
      let list = byColor.get(color);
      if (list === undefined) byColor.set(color, (list = []));
      list.push(instance);
    }
    const policy = trafficPolicyFor(rules.destinationRules, host, subset);
    return { host, subset, all, uncolored, byColor, loadBalancer: policy.loadBalancer, outlierDetection: policy.outlierDetection, cursor: 0 };
  }
}
