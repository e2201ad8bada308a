import { OVERLOADED_BODY, createConcurrencyGate } from '@dyeline/core';
import type { ConcurrencyGateStats, ConcurrencyLimitOptions } from '@dyeline/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Options of {@link concurrencyLimit}. */
export type ExpressConcurrencyLimitOptions = ConcurrencyLimitOptions;

/** The middleware, with its live counters (`inflight`, `queued`, `shed`). */
export type ExpressConcurrencyLimitMiddleware = RequestHandler & { readonly stats: ConcurrencyGateStats };

/**
 * Express load shedding (Express 4 and 5): at most `max` requests run at
 * once, `queue` more wait (first come, first served), and the rest are
 * answered at once with 503, `Retry-After` and
 * `{"error":"ERR_DYELINE_OVERLOADED"}`. A slot is released exactly once, when
 * the response closes — finished, timed out or abandoned by the client.
 * Costs a counter and a shared listener per admitted request.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function concurrencyLimit(options: ExpressConcurrencyLimitOptions): ExpressConcurrencyLimitMiddleware {
  const gate = createConcurrencyGate('concurrencyLimit (express)', options);
  const { retryAfter } = gate;
  const middleware = function dyelineConcurrencyLimit(_req: Request, res: Response, next: NextFunction): void {
    if (gate.admit(res)) {
      next();
      return;
    }
    const queued = gate.wait(res, (admitted) => {
      if (admitted) next();
    });
    if (queued) return;
    res.statusCode = 503;
    res.setHeader('retry-after', retryAfter);
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(OVERLOADED_BODY);
  };
  return Object.defineProperty(middleware, 'stats', { value: gate.stats, enumerable: true }) as ExpressConcurrencyLimitMiddleware;
}
