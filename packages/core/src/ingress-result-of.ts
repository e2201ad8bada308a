import type { IngressResult } from './ingress.js';

// On the request object under a registry-wide key, so middleware from another
// copy of dyeline (ESM next to CJS) finds what the ingress decided.
const RESULT = Symbol.for('dyeline.ingressResult.v1');

type Carrying = { [RESULT]?: IngressResult };

/** Records what the ingress decided for `request`, for middleware further down (fault injection). */
export function attachIngressResult(request: object, result: IngressResult): void {
  (request as Carrying)[RESULT] = result;
}

/**
 * What the ingress (`dyeline()` of `@dyeline/koa` or `@dyeline/express`)
 * decided for `request` — the tag and whether the caller is trusted — or
 * `undefined` when no ingress ran before.
 */
export function ingressResultOf(request: object): IngressResult | undefined {
  return (request as Carrying)[RESULT];
}
