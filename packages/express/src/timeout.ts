import { EventEmitter } from 'node:events';
import {
  Deadline,
  answerTimeout,
  contextWithDeadline,
  requestBudget,
  resolveServerTimeoutOptions,
  runWithContext,
} from '@dyeline/core';
import type { ServerTimeoutOptions } from '@dyeline/core';
import type { RequestHandler } from 'express';

/** Options of {@link timeout}. `onError` hears a malformed deadline header. */
export type ExpressTimeoutOptions = ServerTimeoutOptions;

// EventEmitter's own `on`: the listener needs no request context, so the
// wrapper bindRequestEmitters would add is skipped.
const addListener = EventEmitter.prototype.on;

/**
 * Express timeout middleware (Express 4 and 5): runs the rest of the request
 * under a {@link Deadline} of `ms`, clamped to the caller's deadline header
 * and to a deadline already in force — so `currentDeadline()` (and its
 * `signal`) works below, and outbound calls through `@dyeline/http` pass the
 * remaining time on. When it passes, the request is answered `status`
 * exactly once and the deadline's signal aborts; whatever the handler sends
 * later (`res.send`, `res.json`, `res.write`) is ignored — never "headers
 * already sent". A response still streaming is cut. The signal also aborts
 * when the client goes away first.
 *
 * Works before or after `dyeline()`; put it before `concurrencyLimit()` so a
 * queued request times out too.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function timeout(options: ExpressTimeoutOptions): RequestHandler {
  const settings = resolveServerTimeoutOptions('timeout (express)', options);
  return function dyelineTimeout(req, res, next) {
    const budget = requestBudget(settings, req.headers);
    const deadline = Deadline.after(budget);
    if (budget < 1) {
      // The caller has no time left: no work starts for it.
      answerTimeout(settings, res);
      deadline.abort();
      return;
    }
    const context = contextWithDeadline(deadline);
    // The deadline's own signal is the one clock: a second timer could fire
    // after the signal aborted a fetch and its rejection became a 500.
    deadline.signal.addEventListener('abort', () => answerTimeout(settings, res), { once: true });
    addListener.call(res, 'close', () => {
      if (res.writableFinished) deadline.dispose();
      else deadline.abort();
    });
    runWithContext(context, next);
  };
}
