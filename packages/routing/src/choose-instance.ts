import { hashString, unitPoint } from './sticky-hash.js';
import type { KeyHash } from './sticky-hash.js';
import type { Instance } from './instance.js';
import type { InstancePool } from './instance-pool.js';
import { readCookie, readHeader, readQuery } from './route-request.js';
import type { RouteRequest } from './route-request.js';

const seeds = new WeakMap<Instance, KeyHash>();
const scratch: KeyHash = { lo: 0, hi: 0 };

/** A stable id for per-instance state (in-flight counts). @internal */
export function instanceKey(instance: Instance): string {
  return instance.id ?? `${instance.service}@${instance.address}`;
}

function seedOf(instance: Instance): KeyHash {
  let seed = seeds.get(instance);
  if (seed === undefined) seeds.set(instance, (seed = hashString(instanceKey(instance))));
  return seed;
}

/**
 * Picks one of `list` by the pool's load balancer. `consistentHash` uses
 * rendezvous hashing on the configured key (random when the request has none).
 * @internal
 */
export function chooseInstance(
  pool: InstancePool,
  list: readonly Instance[],
  request: RouteRequest,
  inFlight: ReadonlyMap<string, number>,
  random: () => number,
): Instance {
  if (list.length === 1) return list[0] as Instance;
  const lb = pool.loadBalancer;
  if (lb === undefined || !('consistentHash' in lb)) {
    const simple = lb?.simple;
    if (simple === 'RANDOM') return list[Math.floor(random() * list.length)] as Instance;
    if (simple === 'LEAST_REQUEST') {
      // Power of two choices, as Envoy does.
      const a = list[Math.floor(random() * list.length)] as Instance;
      const b = list[Math.floor(random() * list.length)] as Instance;
      return (inFlight.get(instanceKey(b)) ?? 0) < (inFlight.get(instanceKey(a)) ?? 0) ? b : a;
    }
    const instance = list[pool.cursor % list.length] as Instance;
    pool.cursor = (pool.cursor + 1) % 0x7fffffff;
    return instance;
  }
  const ch = lb.consistentHash;
  const key =
    'httpHeaderName' in ch
      ? readHeader(request, ch.httpHeaderName)
      : 'httpCookie' in ch
        ? readCookie(request, ch.httpCookie)
        : readQuery(request, ch.httpQueryParameterName);
  if (key === undefined) return list[Math.floor(random() * list.length)] as Instance;
  hashString(key, 0, scratch);
  let best = list[0] as Instance;
  let bestPoint = -1;
  for (const instance of list) {
    const point = unitPoint(scratch, seedOf(instance));
    if (point > bestPoint) {
      bestPoint = point;
      best = instance;
    }
  }
  return best;
}
