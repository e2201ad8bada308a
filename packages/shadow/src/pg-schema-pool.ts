import type { Pool, PoolClient, PoolConfig } from 'pg';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** The `schema` shadow strategy of {@link shadowPool}. */
export interface PgShadowSchema {
  /** The shadow schema. Unqualified table names of shadow queries resolve in it, and only in it. */
  schema: string;
  /** Overrides for the shadow pool built from the production pool's options (e.g. a smaller `max`). */
  config?: PoolConfig;
}

/**
 * Checks a schema name once, at construction: it goes into a connection
 * option and a SET statement, so only plain identifiers are accepted.
 *
 * @throws {TypeError} naming `option` when it is not a plain identifier.
 */
export function validateSchema(option: string, schema: unknown): string {
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema)) {
    throw new TypeError(`${option} must be a plain SQL identifier (letters, digits, "_", "$"; at most 63 characters)`);
  }
  return schema;
}

type VerifyHook = (client: PoolClient, done: (error?: Error) => void) => void;
type PoolCtor = new (config: PoolConfig, client?: unknown) => Pool;

/**
 * Builds a separate pool, from the production pool's own options and `pg`
 * copy, whose every connection is pinned to the shadow schema: the
 * `search_path` is set in the startup packet (`options: -c search_path=...`),
 * and again by a `SET` before the connection is first handed out — so even a
 * connection string that overrides `options` cannot leave a connection on the
 * production path. Connections are never shared with production, and no
 * statement changes the path of a connection a production request could use.
 *
 * The path holds only the shadow schema (pg_catalog is implicit): a table
 * missing from the shadow schema is an error, never a fall-through to public.
 */
export function createSchemaPool(production: Pool, shadow: PgShadowSchema): Pool {
  const quoted = `"${shadow.schema}"`;
  const base = production.options as PoolConfig & { verify?: VerifyHook; Client?: unknown };
  const inherited = base.options ?? process.env.PGOPTIONS;
  const startup = `-c search_path=${quoted}`;
  const userVerify = base.verify;
  const verify: VerifyHook = (client, done) => {
    client.query(`SET search_path TO ${quoted}`).then(
      () => (userVerify === undefined ? done() : userVerify(client, done)),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
  const config: PoolConfig & { verify: VerifyHook } = {
    ...base,
    // pg-pool hides the password (non-enumerable): copy it by hand.
    password: base.password,
    ...shadow.config,
    options: inherited === undefined || inherited === '' ? startup : `${inherited} ${startup}`,
    verify,
  };
  const Ctor = production.constructor as PoolCtor;
  const pool = new Ctor(config, (production as unknown as { Client?: unknown }).Client);
  // An idle shadow connection that dies must not crash the process when the
  // user listens for errors on the production pool only: hand it over there
  // (unless a listener was added to this pool through the wrapper's `on`).
  pool.on('error', (error, client) => {
    if (pool.listenerCount('error') > 1) return;
    if (production.listenerCount('error') > 0) production.emit('error', error, client);
    else process.emitWarning(`dyeline shadow pg pool (schema ${shadow.schema}): ${error.message}`);
  });
  return pool;
}
