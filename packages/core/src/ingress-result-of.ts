import type { IngressResult } from './ingress.js';

// One WeakMap per process under a registry-wide key, so middleware from
// another copy of dyeline (ESM next to CJS) finds what the ingress decided.
// Not a property on the request: Express re-parents req with setPrototypeOf,
// and a new own property on such an object costs ~2 µs (a fresh hidden class).
const RESULTS = Symbol.for('dyeline.ingressResults.v1');

type GlobalWithResults = typeof globalThis & { [RESULTS]?: WeakMap<object, IngressResult> };

function sharedResults(): WeakMap<object, IngressResult> {
  const g = globalThis as GlobalWithResults;
  let map = g[RESULTS];
  if (map === undefined) {
    map = new WeakMap();
    Object.defineProperty(g, RESULTS, { value: map, enumerable: false, configurable: false, writable: false });
  }
  return map;
}

const results = sharedResults();

/** Records what the ingress decided for `request`, for middleware further down (fault injection). */
export function attachIngressResult(request: object, result: IngressResult): void {
  results.set(request, result);
}

/**
 * What the ingress (`dyeline()` of `@dyeline/koa` or `@dyeline/express`)
 * decided for `request` — the tag and whether the caller is trusted — or
 * `undefined` when no ingress ran before.
 */
export function ingressResultOf(request: object): IngressResult | undefined {
  return results.get(request);
}
