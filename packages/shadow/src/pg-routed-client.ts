import { AsyncResource } from 'node:async_hooks';
import { ShadowIsolationError } from '@dyeline/core';
import type { PoolClient } from 'pg';
import type { ShadowResolver } from './shadow-resolver.js';

type AnyFn = (...args: never[]) => unknown;

/**
 * Binds a pg callback to the caller's async context. pg calls query and
 * checkout callbacks from its socket's context or from whichever request
 * released a pooled client: without this, a shadow request's callback would
 * run under someone else's tag, and a query issued from it could reach
 * production.
 */
export function bindCallback<F>(fn: F): F {
  return typeof fn === 'function' ? (AsyncResource.bind(fn as (...args: unknown[]) => unknown) as F) : fn;
}

/** A submittable (pg-cursor, pg-query-stream) is returned, not awaited: errors must be thrown. */
function isSubmittable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { submit?: unknown }).submit === 'function';
}

/**
 * Delivers a refusal the way pg delivers its own errors: to the callback (on
 * a later tick) when there is one, as a rejected promise otherwise. Nothing is
 * sent to any server.
 */
export function refuse(error: unknown, a: unknown, b: unknown, c: unknown): unknown {
  const callback = typeof c === 'function' ? c : typeof b === 'function' ? b : undefined;
  if (callback !== undefined) {
    process.nextTick(callback as (error: unknown) => void, error);
    return undefined;
  }
  if (isSubmittable(a)) throw error;
  return Promise.reject(error);
}

/** `query(a, b, c)` on `target` with the callback (if any) bound to the caller's context. */
export function forwardQuery(target: { query: AnyFn }, a: unknown, b: unknown, c: unknown): unknown {
  const query = target.query as (a: unknown, b?: unknown, c?: unknown) => unknown;
  if (typeof c === 'function') return query.call(target, a, b, bindCallback(c));
  if (typeof b === 'function') return query.call(target, a, bindCallback(b));
  return query.call(target, a, b, c);
}

/**
 * Checks that the current request may use a client of the given side: a
 * shadow request on a production client is refused (fail closed); a
 * production request on a shadow client meets the reverse guard. Returns the
 * refusal, or `undefined` when the query may go ahead.
 */
export function checkSide(resolver: ShadowResolver, clientIsShadow: boolean, what: string): unknown {
  const shadowNow = resolver.isShadow();
  if (shadowNow === clientIsShadow) return undefined;
  if (shadowNow) {
    return new ShadowIsolationError(what, `A shadow request used a production ${what}; refused`);
  }
  try {
    resolver.guardShadowTarget(`shadow ${what}`);
  } catch (error) {
    return error;
  }
  return undefined;
}

/**
 * A view of a checked-out pg client that is bound to one side (production or
 * shadow). Every `query` checks the current tag against that side and binds
 * callbacks; all else (release, escapeIdentifier, events) is the client's own.
 * One view per client for its lifetime, so a checkout allocates nothing.
 */
export function createClientViews(resolver: ShadowResolver, isShadow: boolean): (client: PoolClient) => PoolClient {
  const what = isShadow ? 'pg client (shadow)' : 'pg client';
  const views = new WeakMap<PoolClient, PoolClient>();
  return (client) => {
    let view = views.get(client);
    if (view === undefined) {
      const query = function query(a: unknown, b?: unknown, c?: unknown): unknown {
        const refusal = checkSide(resolver, isShadow, what);
        if (refusal !== undefined) return refuse(refusal, a, b, c);
        return forwardQuery(client as unknown as { query: AnyFn }, a, b, c);
      };
      view = new Proxy(client, {
        get(target, property) {
          if (property === 'query') return query;
          return Reflect.get(target, property, target) as unknown;
        },
      });
      views.set(client, view);
    }
    return view;
  };
}
