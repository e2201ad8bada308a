import { ShadowIsolationError } from '@dyeline/core';
import type { PGliteInterface, QueryOptions, Results, Transaction } from '@electric-sql/pglite';
import { validateSchema } from './pg-schema-pool.js';
import { bindCallback, checkSide } from './pg-routed-client.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** What {@link shadowPGlite} needs of a PGlite instance. */
export type PGliteLike = Pick<PGliteInterface, 'query' | 'sql' | 'exec' | 'transaction' | 'close'>;

/** Options of {@link shadowPGlite}. */
export interface ShadowPGliteOptions {
  /** The production database. Production traffic (and traffic without a tag) uses it. */
  production: PGliteLike;
  /**
   * Where shadow traffic goes: a separate PGlite instance (preferred: simplest
   * and safest), or `{ schema }` in the production instance — then each
   * shadow `query`/`sql` runs in its own transaction with `SET LOCAL
   * search_path`, and shadow `exec`/`transaction` are refused (see README).
   * Absent: shadow traffic is refused with `ShadowIsolationError`.
   */
  shadow?: PGliteLike | { schema: string };
  /** The resolver that reads the tag. Default: `createShadowResolver()`. */
  resolver?: ShadowResolver;
}

/** PGlite's query surface, routing every call to production or shadow from the current tag. */
export interface ShadowPGlite {
  /** `PGlite.query`, routed per call. */
  query<T>(query: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  /** `PGlite.sql` tagged template, routed per call. */
  sql<T>(strings: TemplateStringsArray, ...params: unknown[]): Promise<Results<T>>;
  /**
   * `PGlite.exec` (multi-statement), routed per call.
   * @throws {ShadowIsolationError} (as a rejection) for shadow traffic under the schema strategy.
   */
  exec(query: string, options?: QueryOptions): Promise<Results[]>;
  /**
   * `PGlite.transaction` on the side chosen at its start; the `tx` refuses
   * use from a request of the other side.
   * @throws {ShadowIsolationError} (as a rejection) for shadow traffic under the schema strategy.
   */
  transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Closes the production and the shadow instance. */
  close(): Promise<void>;
  /** How shadow traffic is separated: `'instance'`, `'schema'` or `'none'` (shadow refused). */
  readonly strategy: 'instance' | 'schema' | 'none';
  /** The resolver in use. */
  readonly resolver: ShadowResolver;
}

function isPGliteLike(value: unknown): value is PGliteLike {
  const v = value as Partial<PGliteLike> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.query === 'function' &&
    typeof v.exec === 'function' &&
    typeof v.transaction === 'function'
  );
}

/** A transaction view pinned to one side: each statement checks the current tag. */
function sideTransaction(resolver: ShadowResolver, tx: Transaction, isShadow: boolean): Transaction {
  const what = isShadow ? 'PGlite transaction (shadow)' : 'PGlite transaction';
  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const refusal = checkSide(resolver, isShadow, what);
      return refusal === undefined ? fn(...args) : Promise.reject(refusal);
    };
  const query = guard(tx.query.bind(tx));
  const sql = guard(tx.sql.bind(tx));
  const exec = guard(tx.exec.bind(tx));
  return new Proxy(tx, {
    get(target, property) {
      if (property === 'query') return query;
      if (property === 'sql') return sql;
      if (property === 'exec') return exec;
      return Reflect.get(target, property, target) as unknown;
    },
  });
}

/**
 * Wraps PGlite so that each call goes to the production or the shadow target
 * chosen from the current tag. Shadow traffic without a shadow target fails
 * closed; nothing reaches the production instance.
 *
 * PGlite is a single connection, so the schema strategy never changes the
 * session: each shadow statement runs in its own transaction (PGlite runs
 * transactions exclusively) with `SET LOCAL search_path`, which ends with it.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function shadowPGlite(options: ShadowPGliteOptions): ShadowPGlite {
  if (typeof options !== 'object' || options === null) throw new TypeError('shadowPGlite: options must be an object');
  const { production, shadow } = options;
  if (!isPGliteLike(production)) throw new TypeError('shadowPGlite: option "production" must be a PGlite instance');
  if (options.resolver !== undefined && (typeof options.resolver !== 'object' || typeof options.resolver.pick !== 'function')) {
    throw new TypeError('shadowPGlite: option "resolver" must be a ShadowResolver');
  }
  const resolver = options.resolver ?? createShadowResolver();
  let shadowDb: PGliteLike | undefined;
  let setPath: string | undefined;
  let strategy: ShadowPGlite['strategy'] = 'none';
  if (shadow === undefined) {
    // shadow traffic is refused
  } else if (isPGliteLike(shadow)) {
    if ((shadow as unknown) === production) throw new TypeError('shadowPGlite: option "shadow" must not be the production instance');
    shadowDb = shadow;
    strategy = 'instance';
  } else if (typeof shadow === 'object' && shadow !== null && 'schema' in shadow) {
    setPath = `SET LOCAL search_path TO "${validateSchema('shadowPGlite: option "shadow.schema"', shadow.schema)}"`;
    shadowDb = production;
    strategy = 'schema';
  } else {
    throw new TypeError('shadowPGlite: option "shadow" must be a PGlite instance or { schema: string }');
  }
  const targets = { production, shadow: shadowDb };
  const what = 'PGlite database';

  function pinned<T>(run: (tx: Transaction) => Promise<T>): Promise<T> {
    return production.transaction(async (tx) => {
      await tx.exec(setPath!);
      return run(tx);
    });
  }

  function refuseSchema(call: string): Promise<never> {
    return Promise.reject(
      new ShadowIsolationError(
        `${what} ${call}`,
        `Shadow ${call}() is refused under the schema strategy: its statements could end the pinning transaction; use query()/sql() or a separate shadow instance`,
      ),
    );
  }

  function pick(): PGliteLike | ShadowIsolationError {
    try {
      return resolver.pick(targets, what);
    } catch (error) {
      return error as ShadowIsolationError;
    }
  }

  const wrapper: ShadowPGlite = {
    query<T>(query: string, params?: unknown[], opts?: QueryOptions): Promise<Results<T>> {
      const db = pick();
      if (db instanceof Error) return Promise.reject(db);
      if (setPath !== undefined && db === production && resolver.isShadow()) {
        return pinned((tx) => tx.query<T>(query, params, opts));
      }
      return db.query<T>(query, params, opts);
    },
    sql<T>(strings: TemplateStringsArray, ...params: unknown[]): Promise<Results<T>> {
      const db = pick();
      if (db instanceof Error) return Promise.reject(db);
      if (setPath !== undefined && db === production && resolver.isShadow()) {
        return pinned((tx) => tx.sql<T>(strings, ...params));
      }
      return db.sql<T>(strings, ...params);
    },
    exec(query: string, opts?: QueryOptions): Promise<Results[]> {
      const db = pick();
      if (db instanceof Error) return Promise.reject(db);
      if (setPath !== undefined && resolver.isShadow()) return refuseSchema('exec');
      return db.exec(query, opts);
    },
    transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
      const db = pick();
      if (db instanceof Error) return Promise.reject(db);
      const isShadow = resolver.isShadow();
      if (setPath !== undefined && isShadow) return refuseSchema('transaction');
      const bound = bindCallback(callback);
      return db.transaction((tx) => bound(sideTransaction(resolver, tx, isShadow)));
    },
    async close(): Promise<void> {
      await production.close();
      if (shadowDb !== undefined && shadowDb !== production) await shadowDb.close();
    },
    strategy,
    resolver,
  };
  return Object.freeze(wrapper);
}
