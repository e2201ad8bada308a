import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Counters of a {@link ConcurrencyGate}. */
export interface ConcurrencyGateStats {
  /** Requests holding a slot now. */
  readonly inflight: number;
  /** Requests waiting for a slot now. */
  readonly queued: number;
  /** Requests turned away since the gate was built. */
  readonly shed: number;
}

/** Options of the load-shedding middleware (`concurrencyLimit`) of `@dyeline/koa` and `@dyeline/express`. */
export interface ConcurrencyLimitOptions {
  /** Requests served at once (≥ 1). */
  max: number;
  /** Requests that may wait for a slot, first come first served. Default 0: shed at once. */
  queue?: number;
  /** Seconds sent in `Retry-After` with a shed request's 503. Default 1. */
  retryAfter?: number;
}

/** Body of the 503 a shed request gets. */
export const OVERLOADED_BODY = '{"error":"ERR_DYELINE_OVERLOADED"}';

/** A counter of requests in flight with an optional FIFO queue; built once per middleware. */
export interface ConcurrencyGate {
  readonly stats: ConcurrencyGateStats;
  /** `Retry-After` value for a shed request, as a string. */
  readonly retryAfter: string;
  /**
   * Takes a slot for `response` if one is free; the slot is released once,
   * when the response closes (finished, or the client went away).
   */
  admit(response: ServerResponse): boolean;
  /**
   * Queues `response` for the next free slot. `run(true)` is called when it
   * gets one (in the caller's async context), `run(false)` when the client
   * leaves first. Returns false, calling nothing, when the queue is full.
   */
  wait(response: ServerResponse, run: (admitted: boolean) => void): boolean;
}

interface Waiter {
  readonly response: ServerResponse;
  readonly run: (admitted: boolean) => void;
  done: boolean;
}

// EventEmitter's own `on`, not the per-request wrapper bindRequestEmitters
// installs: releasing a slot needs no context, and this way costs no closure.
const addListener = EventEmitter.prototype.on;

/**
 * Builds the gate behind the load-shedding middleware of `@dyeline/koa` and
 * `@dyeline/express`. An admitted request costs a counter increment and one
 * `close` listener shared by all requests.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createConcurrencyGate(who: string, options: ConcurrencyLimitOptions): ConcurrencyGate {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${who}: options must be an object with max`);
  const { max, queue = 0, retryAfter = 1 } = options;
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`${who}: options.max must be an integer >= 1`);
  if (!Number.isInteger(queue) || queue < 0) throw new TypeError(`${who}: options.queue must be an integer >= 0`);
  if (!Number.isInteger(retryAfter) || retryAfter < 0) throw new TypeError(`${who}: options.retryAfter must be a whole number of seconds >= 0`);
  let inflight = 0;
  let shed = 0;
  const waiters: Waiter[] = [];

  function release(): void {
    while (waiters.length > 0) {
      const next = waiters.shift() as Waiter;
      if (next.done) continue;
      next.done = true;
      // Answered while waiting (a timeout) but not closed yet: it needs no slot.
      if (next.response.writableEnded) {
        next.run(false);
        continue;
      }
      // The slot passes straight to the waiter: inflight stays as it is.
      addListener.call(next.response, 'close', release);
      next.run(true);
      return;
    }
    inflight--;
  }

  return {
    retryAfter: String(retryAfter),
    stats: {
      get inflight() {
        return inflight;
      },
      get queued() {
        return waiters.length;
      },
      get shed() {
        return shed;
      },
    },
    admit(response) {
      // A client gone before we got here never emits 'close' again: nothing to hold.
      if (response.closed) return true;
      if (inflight >= max) return false;
      inflight++;
      addListener.call(response, 'close', release);
      return true;
    },
    wait(response, run) {
      if (waiters.length >= queue) {
        shed++;
        return false;
      }
      if (response.closed) {
        run(false);
        return true;
      }
      const waiter: Waiter = { response, run: AsyncLocalStorage.bind(run), done: false };
      waiters.push(waiter);
      addListener.call(response, 'close', () => {
        if (waiter.done) return;
        waiter.done = true;
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.run(false);
      });
      return true;
    },
  };
}
