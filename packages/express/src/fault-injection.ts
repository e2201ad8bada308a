import { currentIngressResult } from '@dyeline/core';
import { createFaultHeaderGate } from '@dyeline/resilience';
import type { FaultHeaderGateOptions, FaultHeaderSpec, FaultHeaderStats } from '@dyeline/resilience';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Options of {@link faultInjection}. */
export type ExpressFaultInjectionOptions = FaultHeaderGateOptions;

/** The middleware, with its counters (`injected`, `untrusted`, `undyed`, `malformed`). */
export type ExpressFaultInjectionMiddleware = RequestHandler & { readonly stats: Readonly<FaultHeaderStats> };

const INJECTED_BODY = '{"error":"ERR_DYELINE_INJECTED_FAULT"}';

function apply(spec: FaultHeaderSpec, res: Response, next: NextFunction): void {
  // A timeout may have answered during the delay: nothing more runs then.
  if (res.writableEnded || res.destroyed) return;
  if (spec.abortStatus === undefined) {
    next();
    return;
  }
  res.statusCode = spec.abortStatus;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(INJECTED_BODY);
}

/**
 * Express fault injection for dyed test traffic: `x-dyeline-fault:
 * delay=200ms`, `abort=503` or `delay=100ms;abort=503` delays the request
 * and/or answers it with that status, as Istio's `fault` does for a route.
 * Honoured only when `dyeline()` ran before it, trusted the caller, and the
 * request has a color or the shadow mark; otherwise the header is ignored and
 * counted.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function faultInjection(options: ExpressFaultInjectionOptions = {}): ExpressFaultInjectionMiddleware {
  const gate = createFaultHeaderGate('faultInjection (express)', options);
  const { header } = gate;
  const middleware = function dyelineFaultInjection(req: Request, res: Response, next: NextFunction): void {
    const value = req.headers[header];
    const spec = typeof value === 'string' ? gate.decide(value, currentIngressResult()) : undefined;
    if (spec === undefined) next();
    else if (spec.delayMs === undefined) apply(spec, res, next);
    else setTimeout(apply, spec.delayMs, spec, res, next);
  };
  return Object.defineProperty(middleware, 'stats', { value: gate.stats, enumerable: true }) as ExpressFaultInjectionMiddleware;
}
