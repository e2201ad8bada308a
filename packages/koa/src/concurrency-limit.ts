import { OVERLOADED_BODY, createConcurrencyGate } from '@dyeline/core';
import type { ConcurrencyGateStats, ConcurrencyLimitOptions } from '@dyeline/core';
import type { Context, Middleware, Next } from 'koa';

/** Options of {@link concurrencyLimit}. */
export type KoaConcurrencyLimitOptions = ConcurrencyLimitOptions;

/** The middleware, with its live counters (`inflight`, `queued`, `shed`). */
export type KoaConcurrencyLimitMiddleware = Middleware & { readonly stats: ConcurrencyGateStats };

function shed(ctx: Context, retryAfter: string): void {
  ctx.status = 503;
  ctx.set('retry-after', retryAfter);
  ctx.type = 'application/json';
  ctx.body = OVERLOADED_BODY;
}

/**
 * Koa load shedding: at most `max` requests run at once, `queue` more wait
 * (first come, first served), and the rest are answered at once with 503,
 * `Retry-After` and `{"error":"ERR_DYELINE_OVERLOADED"}`. A slot is released
 * exactly once, when the response closes — finished, timed out or abandoned
 * by the client. Costs a counter and a shared listener per admitted request.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function concurrencyLimit(options: KoaConcurrencyLimitOptions): KoaConcurrencyLimitMiddleware {
  const gate = createConcurrencyGate('concurrencyLimit (koa)', options);
  const { retryAfter } = gate;
  const middleware = function dyelineConcurrencyLimit(ctx: Context, next: Next): Promise<unknown> {
    if (gate.admit(ctx.res)) return next();
    return new Promise<unknown>((resolve, reject) => {
      const queued = gate.wait(ctx.res, (admitted) => {
        if (admitted) next().then(resolve, reject);
        else resolve(undefined);
      });
      if (!queued) {
        shed(ctx, retryAfter);
        resolve(undefined);
      }
    });
  };
  return Object.defineProperty(middleware, 'stats', { value: gate.stats, enumerable: true }) as KoaConcurrencyLimitMiddleware;
}
