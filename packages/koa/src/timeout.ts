import { EventEmitter } from 'node:events';
import {
  Deadline,
  answerTimeout,
  contextWithDeadline,
  isDeadlineExceededError,
  requestBudget,
  resolveServerTimeoutOptions,
  runWithContext,
} from '@dyeline/core';
import type { ServerTimeoutOptions, ServerTimeoutSettings } from '@dyeline/core';
import type { Context, Middleware } from 'koa';

/** Options of {@link timeout}. */
export type KoaTimeoutOptions = ServerTimeoutOptions;

// EventEmitter's own `on`: the listener needs no request context, so the
// wrapper bindRequestEmitters would add is skipped.
const addListener = EventEmitter.prototype.on;

function isAbort(error: unknown): boolean {
  return isDeadlineExceededError(error) || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'));
}

function answer(settings: ServerTimeoutSettings, ctx: Context, deadline: Deadline): void {
  // Koa's respond() would write again once the chain settles: we answer on
  // the raw response, and Koa's setters ignore a response whose headers went out.
  ctx.respond = false;
  answerTimeout(settings, ctx.res);
  deadline.abort();
}

/**
 * Koa timeout middleware: runs the rest of the request under a
 * {@link Deadline} of `ms`, clamped to the caller's deadline header and to a
 * deadline already in force — so `currentDeadline()` (and its `signal`)
 * works below, and outbound calls through `@dyeline/http` pass the remaining
 * time on. When it passes, the request is answered `status` exactly once,
 * the deadline's signal aborts, middleware above resumes at once, and
 * whatever the handler writes later is ignored. A response still streaming
 * is cut. The signal also aborts when the client goes away first.
 *
 * Works before or after `dyeline()`; put it before `concurrencyLimit()` so a
 * queued request times out too.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function timeout(options: KoaTimeoutOptions): Middleware {
  const settings = resolveServerTimeoutOptions('timeout (koa)', options);
  return function dyelineTimeout(ctx, next) {
    const { req, res } = ctx;
    const budget = requestBudget(settings, req.headers);
    const deadline = Deadline.after(budget);
    if (budget < 1) {
      // The caller has no time left: no work starts for it.
      answer(settings, ctx, deadline);
      return Promise.resolve();
    }
    const context = contextWithDeadline(deadline);
    return new Promise<void>((resolve, reject) => {
      let timedOut = false;
      // The deadline's own signal is the one clock: a second timer could fire
      // after the signal aborted a fetch and its rejection became a 500.
      deadline.signal.addEventListener(
        'abort',
        () => {
          timedOut = true;
          answer(settings, ctx, deadline);
          resolve();
        },
        { once: true },
      );
      addListener.call(res, 'close', () => {
        if (res.writableFinished) deadline.dispose();
        else deadline.abort();
      });
      runWithContext(context, next).then(
        () => {
          if (!timedOut) resolve();
        },
        (error: unknown) => {
          if (!timedOut) reject(error);
          else if (!isAbort(error)) settings.report(error);
        },
      );
    });
  };
}
