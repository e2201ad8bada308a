// The orders datastore of the shadow demo, behind @dyeline/shadow: two
// in-memory PGlite instances (production and shadow) by default, or a real
// PostgreSQL when a URL is given (DYELINE_PG_URL), with a production schema
// and a shadow schema. Every row records whether the request that wrote it was
// shadow, so a leak in either direction is visible by querying afterwards.
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { parseAuditConfig } from '@dyeline/cli';
import type { AuditConfig, AuditConnections } from '@dyeline/cli';
import { shadowPGlite } from '@dyeline/shadow/pglite';
import { shadowPool } from '@dyeline/shadow/pg';

/** What the orders service writes through: the shadow-aware wrapper (PGlite or pg). */
export interface OrdersDb {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

/** Rows of one run on one side, grouped by who wrote them. */
export interface OrdersCount {
  client: string;
  /** The request that wrote the row was shadow. */
  shadow: boolean;
  n: number;
}

/** An opened orders store. */
export interface OrdersStore {
  /** The wrapper the service writes through: production or shadow by the current tag. */
  readonly db: OrdersDb;
  /** What backs it, for the demo's table. */
  readonly label: string;
  /** The isolation audit of the load generator's writes (see {@link openOrdersStore}). */
  readonly audit: { config: AuditConfig; connections: AuditConnections };
  /** Rows written in `run`, read straight from the database (not through the wrapper). */
  count(side: 'production' | 'shadow', run: string): Promise<OrdersCount[]>;
  close(): Promise<void>;
}

const COLUMNS = 'id serial PRIMARY KEY, run text NOT NULL, client text NOT NULL, item text NOT NULL, shadow boolean NOT NULL';
const PRODUCTION_SCHEMA = 'dyeline_demo';
const SHADOW_SCHEMA = 'dyeline_demo_shadow';

// Production keeps taking real orders during a stress test, so the audit
// watches what the load generator could write — its own rows — not the table.
const LOADGEN_ROWS = "SELECT count(*) FROM orders WHERE client = 'loadgen'";

function grouped(rows: readonly { client: string; shadow: boolean; n: number | string }[]): OrdersCount[] {
  return rows.map((row) => ({ client: row.client, shadow: row.shadow, n: Number(row.n) }));
}

const GROUP = 'SELECT client, shadow, count(*) AS n FROM';
const BY_RUN = 'WHERE run = $1 GROUP BY client, shadow ORDER BY client, shadow';

async function openPGlite(): Promise<OrdersStore> {
  const production = await PGlite.create();
  const shadow = await PGlite.create();
  for (const db of [production, shadow]) await db.exec(`CREATE TABLE orders (${COLUMNS})`);
  const wrapper = shadowPGlite({ production, shadow });
  // PGlite is in-process: the audit reads these instances, named like PGlite data dirs.
  const config = parseAuditConfig({
    checks: [
      {
        name: 'orders',
        sql: {
          production: { dataDir: 'memory://dyeline-demo/production', query: LOADGEN_ROWS },
          shadow: { dataDir: 'memory://dyeline-demo/shadow', query: 'SELECT count(*) FROM orders' },
        },
      },
    ],
  });
  const count = async (side: 'production' | 'shadow', run: string) => {
    const db = side === 'production' ? production : shadow;
    const { rows } = await db.query<{ client: string; shadow: boolean; n: number }>(`${GROUP} orders ${BY_RUN}`, [run]);
    return grouped(rows);
  };
  return {
    db: wrapper,
    label: 'PGlite: production and shadow instances',
    audit: {
      config,
      connections: { sql: { 'memory://dyeline-demo/production': production, 'memory://dyeline-demo/shadow': shadow } },
    },
    count,
    close: () => wrapper.close(),
  };
}

async function openPostgres(url: string): Promise<OrdersStore> {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  for (const schema of [PRODUCTION_SCHEMA, SHADOW_SCHEMA]) {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await admin.query(`CREATE TABLE IF NOT EXISTS ${schema}.orders (${COLUMNS})`);
  }
  const production = new pg.Pool({ connectionString: url, max: 8, options: `-c search_path=${PRODUCTION_SCHEMA}` });
  const wrapper = shadowPool({ production, shadow: { schema: SHADOW_SCHEMA } });
  const config = parseAuditConfig({
    checks: [
      {
        name: 'orders',
        sql: {
          url,
          production: LOADGEN_ROWS.replace('FROM orders', `FROM ${PRODUCTION_SCHEMA}.orders`),
          shadow: `SELECT count(*) FROM ${SHADOW_SCHEMA}.orders`,
        },
      },
    ],
  });
  const count = async (side: 'production' | 'shadow', run: string) => {
    const schema = side === 'production' ? PRODUCTION_SCHEMA : SHADOW_SCHEMA;
    const { rows } = await admin.query<{ client: string; shadow: boolean; n: string }>(`${GROUP} ${schema}.orders ${BY_RUN}`, [run]);
    return grouped(rows);
  };
  return {
    db: wrapper,
    label: `PostgreSQL: schemas ${PRODUCTION_SCHEMA} / ${SHADOW_SCHEMA}`,
    audit: { config, connections: {} },
    count,
    close: async () => {
      await wrapper.end();
      await admin.end();
    },
  };
}

/**
 * Opens the orders store: a real PostgreSQL at `pgUrl` (tables in schemas
 * `dyeline_demo` and `dyeline_demo_shadow`, created if missing), else two
 * in-memory PGlite instances. The audit config names the production rows
 * the load generator (`client = 'loadgen'`) could write, and the shadow table.
 */
export function openOrdersStore(options: { pgUrl?: string } = {}): Promise<OrdersStore> {
  return options.pgUrl === undefined || options.pgUrl === '' ? openPGlite() : openPostgres(options.pgUrl);
}
