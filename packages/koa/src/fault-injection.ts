import { setTimeout as sleep } from 'node:timers/promises';
import { currentIngressResult } from '@dyeline/core';
import { createFaultHeaderGate } from '@dyeline/resilience';
import type { FaultHeaderGateOptions, FaultHeaderSpec, FaultHeaderStats } from '@dyeline/resilience';
import type { Context, Middleware, Next } from 'koa';

/** Options of {@link faultInjection}. */
export type KoaFaultInjectionOptions = FaultHeaderGateOptions;

/** The middleware, with its counters (`injected`, `untrusted`, `undyed`, `malformed`). */
export type KoaFaultInjectionMiddleware = Middleware & { readonly stats: Readonly<FaultHeaderStats> };

async function inject(spec: FaultHeaderSpec, ctx: Context, next: Next): Promise<unknown> {
  if (spec.delayMs !== undefined) await sleep(spec.delayMs);
  // A timeout may have answered during the delay: nothing more runs then.
  if (ctx.res.writableEnded || ctx.res.destroyed) return undefined;
  if (spec.abortStatus === undefined) return next();
  ctx.status = spec.abortStatus;
  ctx.type = 'application/json';
  ctx.body = '{"error":"ERR_DYELINE_INJECTED_FAULT"}';
  return undefined;
}

/**
 * Koa fault injection for dyed test traffic: `x-dyeline-fault: delay=200ms`,
 * `abort=503` or `delay=100ms;abort=503` delays the request and/or answers it
 * with that status, as Istio's `fault` does for a route. Honoured only when
 * `dyeline()` ran before it, trusted the caller, and the request has a color
 * or the shadow mark; otherwise the header is ignored and counted.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function faultInjection(options: KoaFaultInjectionOptions = {}): KoaFaultInjectionMiddleware {
  const gate = createFaultHeaderGate('faultInjection (koa)', options);
  const { header } = gate;
  const middleware = function dyelineFaultInjection(ctx: Context, next: Next): Promise<unknown> {
    const value = ctx.req.headers[header];
    if (typeof value !== 'string') return next();
    const spec = gate.decide(value, currentIngressResult());
    return spec === undefined ? next() : inject(spec, ctx, next);
  };
  return Object.defineProperty(middleware, 'stats', { value: gate.stats, enumerable: true }) as KoaFaultInjectionMiddleware;
}
