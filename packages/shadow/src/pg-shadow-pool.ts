import type { Pool, PoolClient } from 'pg';
import { createSchemaPool, validateSchema } from './pg-schema-pool.js';
import type { PgShadowSchema } from './pg-schema-pool.js';
import { bindCallback, createClientViews, forwardQuery, refuse } from './pg-routed-client.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** Options of {@link shadowPool}. */
export interface ShadowPoolOptions {
  /** The production pool. Production traffic (and traffic without a tag) uses it. */
  production: Pool;
  /**
   * Where shadow traffic goes: a separate pool (a shadow database or role —
   * preferred), or `{ schema }`: a pool built from the production pool's
   * options whose connections are pinned to that schema. Absent: shadow
   * traffic is refused with `ShadowIsolationError` and nothing is sent.
   */
  shadow?: Pool | PgShadowSchema;
  /** The resolver that reads the tag. Default: `createShadowResolver()`. */
  resolver?: ShadowResolver;
}

/**
 * The part of pg's `Pool` that applications call, routing every call to the
 * production or the shadow pool from the current tag.
 */
export interface ShadowPgPool {
  /** `Pool.query` in all its forms (promise, callback, config object); routed per call. */
  query: Pool['query'];
  /**
   * `Pool.connect` (promise or callback). The client is pinned to the side it
   * was checked out for: using it from a request of the other side is refused
   * (a shadow request on a production client) or meets the reverse guard.
   */
  connect: Pool['connect'];
  /** Ends the production pool and the shadow pool. */
  end: Pool['end'];
  /** Adds a listener to every underlying pool (`error`, `connect`, `acquire`, `release`, `remove`). */
  on(event: 'error' | 'connect' | 'acquire' | 'release' | 'remove', listener: (...args: never[]) => void): ShadowPgPool;
  /** How shadow traffic is separated: `'pool'`, `'schema'`, or `'none'` (shadow refused). */
  readonly strategy: 'pool' | 'schema' | 'none';
  /** The resolver in use. */
  readonly resolver: ShadowResolver;
}

interface Side {
  pool: Pool;
  view: (client: PoolClient) => PoolClient;
}

function isPoolLike(value: unknown): value is Pool {
  const v = value as Partial<Pool> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.query === 'function' && typeof v.connect === 'function' && typeof v.end === 'function'
  );
}

function isResolver(value: unknown): value is ShadowResolver {
  const v = value as Partial<ShadowResolver> | null;
  return typeof v === 'object' && v !== null && typeof v.pick === 'function' && typeof v.isShadow === 'function';
}

/**
 * Wraps a pg `Pool` so that each call goes to the production or the shadow
 * target chosen from the current tag. Shadow traffic without a shadow target
 * fails closed. Callbacks (`query(text, cb)`, `connect(cb)`, a client's
 * `query(text, cb)`) run in the caller's context, also when the checkout
 * waited in the pool's queue.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function shadowPool(options: ShadowPoolOptions): ShadowPgPool {
  if (typeof options !== 'object' || options === null) throw new TypeError('shadowPool: options must be an object');
  const { production, shadow } = options;
  if (!isPoolLike(production)) throw new TypeError('shadowPool: option "production" must be a pg Pool');
  if (options.resolver !== undefined && !isResolver(options.resolver)) {
    throw new TypeError('shadowPool: option "resolver" must be a ShadowResolver');
  }
  const resolver = options.resolver ?? createShadowResolver();
  let shadowTarget: Pool | undefined;
  let strategy: ShadowPgPool['strategy'] = 'none';
  if (shadow === undefined) {
    // no shadow target: shadow traffic is refused
  } else if (isPoolLike(shadow)) {
    if ((shadow as unknown) === production) throw new TypeError('shadowPool: option "shadow" must not be the production pool');
    shadowTarget = shadow;
    strategy = 'pool';
  } else if (typeof shadow === 'object' && shadow !== null && 'schema' in shadow) {
    validateSchema('shadowPool: option "shadow.schema"', shadow.schema);
    if (shadow.config !== undefined && (typeof shadow.config !== 'object' || shadow.config === null)) {
      throw new TypeError('shadowPool: option "shadow.config" must be an object');
    }
    shadowTarget = createSchemaPool(production, shadow);
    strategy = 'schema';
  } else {
    throw new TypeError('shadowPool: option "shadow" must be a pg Pool or { schema: string }');
  }

  const targets: { production: Side; shadow: Side | undefined } = {
    production: { pool: production, view: createClientViews(resolver, false) },
    shadow: shadowTarget === undefined ? undefined : { pool: shadowTarget, view: createClientViews(resolver, true) },
  };
  const pools = shadowTarget === undefined ? [production] : [production, shadowTarget];

  function query(a: unknown, b?: unknown, c?: unknown): unknown {
    let side: Side;
    try {
      side = resolver.pick(targets, 'pg pool');
    } catch (error) {
      return refuse(error, a, b, c);
    }
    return forwardQuery(side.pool as never, a, b, c);
  }

  function connect(callback?: (error: Error | undefined, client: PoolClient | undefined, done: unknown) => void): unknown {
    let side: Side;
    try {
      side = resolver.pick(targets, 'pg pool');
    } catch (error) {
      return refuse(error, undefined, callback, undefined);
    }
    if (typeof callback === 'function') {
      const bound = bindCallback(callback);
      side.pool.connect((error, client, done) => {
        bound(error, client === undefined ? undefined : side.view(client), done);
      });
      return undefined;
    }
    return side.pool.connect().then(side.view);
  }

  function end(callback?: () => void): unknown {
    const ended = Promise.all(pools.map((pool) => (pool.ending ? undefined : pool.end()))).then(() => undefined);
    if (typeof callback !== 'function') return ended;
    const bound = bindCallback(callback as (error?: unknown) => void);
    ended.then(() => bound(), bound);
    return undefined;
  }

  const wrapper: ShadowPgPool = {
    query: query as Pool['query'],
    connect: connect as Pool['connect'],
    end: end as Pool['end'],
    on(event, listener) {
      for (const pool of pools) pool.on(event as 'error', listener as never);
      return wrapper;
    },
    strategy,
    resolver,
  };
  return Object.freeze(wrapper);
}
