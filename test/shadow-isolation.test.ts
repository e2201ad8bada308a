// Issue 5's isolation test: thousands of signed shadow requests mixed with
// production (and forged-shadow) requests through a real Koa service writing
// to a real PostgreSQL (a separate shadow database, and a shadow schema) and
// Redis (shadow key prefix), while faults are injected mid-run: the shadow
// database stops accepting connections and its connections are killed, pools
// are exhausted, statements time out, clients abort, handlers throw before,
// inside and after their writes. Afterwards the real databases are queried:
// every row and key records what its request was sent as, so a write that
// crossed over in either direction is counted.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import Koa from 'koa';
import pg from 'pg';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMPTY_TAG, createTag, currentTag, runWithTag, signTag } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import { shadowRedis } from '@dyeline/shadow/ioredis';
import { shadowPool } from '@dyeline/shadow/pg';
import type { ShadowPgPool } from '@dyeline/shadow/pg';
import { postgresBinary, startPostgres } from './harness/postgres.js';
import type { PostgresServer } from './harness/postgres.js';
import { redisBinary, startRedis } from './harness/redis.js';
import type { RedisServer } from './harness/redis.js';

const SHADOW_REQUESTS = 5000;
const PRODUCTION_REQUESTS = 2000;
const FORGED_REQUESTS = 500;
const CONCURRENCY = 24;
const POOL_MAX = 4;

type SentAs = 'shadow' | 'production' | 'forged';

interface Plan {
  sentAs: SentAs;
  mode: 'query' | 'tx';
  fault: '' | 'throw-before' | 'throw-in-tx' | 'throw-after' | 'statement-timeout' | 'client-abort';
}

/** A fixed pseudo-random plan: the classes shuffled together, a share of each with a fault. */
function plan(): Plan[] {
  const classes: SentAs[] = [
    ...Array<SentAs>(SHADOW_REQUESTS).fill('shadow'),
    ...Array<SentAs>(PRODUCTION_REQUESTS).fill('production'),
    ...Array<SentAs>(FORGED_REQUESTS).fill('forged'),
  ];
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = classes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [classes[i], classes[j]] = [classes[j] as SentAs, classes[i] as SentAs];
  }
  return classes.map((sentAs) => {
    const r = random();
    const mode = random() < 0.3 ? 'tx' : 'query';
    const fault: Plan['fault'] =
      r < 0.03 ? 'throw-before' : r < 0.06 ? 'throw-after' : r < 0.08 ? 'client-abort' : r < 0.1 && mode === 'tx' ? 'throw-in-tx' : r < 0.12 && mode === 'tx' ? 'statement-timeout' : '';
    return { sentAs, mode, fault };
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(postgresBinary === undefined || redisBinary === undefined)( // reason: needs the postgres and redis-server binaries (CI=true installs them, and fails when missing)
  'shadow isolation under faults (skipped: postgres 15 or redis-server not installed)',
  () => {
    const KEY = randomBytes(32).toString('base64url');
    const RUN = randomUUID().slice(0, 8);
    let pgServer: PostgresServer;
    let redisServer: RedisServer;
    let admin: pg.Pool;
    let orders: ShadowPgPool;
    let ledger: ShadowPgPool;
    let redis: Redis;
    let server: Server;
    let url = '';
    const pools: pg.Pool[] = [];

    const newPool = (database: string, max = POOL_MAX) => {
      const pool = new pg.Pool({ host: pgServer.host, port: pgServer.port, user: pgServer.user, database, max, connectionTimeoutMillis: 250 });
      // Killed connections (the outage) surface here; the requests using them fail on their own.
      pool.on('error', () => undefined);
      // pg-pool drops its listener while a client is checked out, and under load a checkout can
      // outlive its connection timeout (seen: checked-out idle clients with no listener when the
      // outage killed them). A listener of the client's own keeps that kill from being uncaught.
      pool.on('connect', (client) => client.on('error', () => undefined));
      pools.push(pool);
      return pool;
    };

    beforeAll(async () => {
      [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
      admin = newPool('postgres', 2);
      await admin.query('CREATE DATABASE prod');
      await admin.query('CREATE DATABASE shadowdb');
      const columns = 'id serial PRIMARY KEY, run text NOT NULL, req int NOT NULL, sent_as text NOT NULL, tag_shadow boolean NOT NULL';
      const prodAdmin = newPool('prod', 1);
      await prodAdmin.query('CREATE SCHEMA shadow');
      for (const table of ['public.orders', 'public.ledger', 'shadow.ledger']) await prodAdmin.query(`CREATE TABLE ${table} (${columns})`);
      await newPool('shadowdb', 1).query(`CREATE TABLE orders (${columns})`);

      // Separate shadow database (pool strategy), and a shadow schema in the production database.
      orders = shadowPool({ production: newPool('prod'), shadow: newPool('shadowdb') });
      orders.on('error', () => undefined);
      ledger = shadowPool({ production: newPool('prod'), shadow: { schema: 'shadow', config: { max: POOL_MAX } } });
      ledger.on('error', () => undefined);
      redis = new Redis(redisServer.url);
      const keys = shadowRedis({ production: redis, strategy: 'prefix' });

      const app = new Koa();
      app.silent = true;
      app.use(dyeline({ trust: { signing: { keys: { loadgen: KEY } } } }));
      app.use(async (ctx) => {
        const q = ctx.query as Record<string, string>;
        const row = [RUN, Number(q.req), q.as, currentTag()?.shadow === true];
        const insert = 'INSERT INTO orders (run, req, sent_as, tag_shadow) VALUES ($1, $2, $3, $4)';
        if (q.fault === 'throw-before') throw new Error('handler failed before writing');
        if (q.mode === 'tx') {
          const client = await orders.connect();
          // pg-pool stops listening to a client while it is checked out: a
          // connection killed between two statements (the outage) would
          // otherwise be an unhandled 'error' event. The next query fails instead.
          const onError = (): void => undefined;
          client.on('error', onError);
          let broken: Error | undefined;
          try {
            await client.query('BEGIN');
            if (q.fault === 'statement-timeout') {
              await client.query("SET LOCAL statement_timeout = '20ms'");
              await client.query('SELECT pg_sleep(0.2)');
            }
            await client.query(insert, row);
            if (q.fault === 'throw-in-tx') throw new Error('handler failed inside its transaction');
            await client.query('COMMIT');
          } catch (error) {
            broken = error as Error;
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          } finally {
            client.off('error', onError);
            client.release(broken);
          }
        } else {
          await orders.query(insert, row);
        }
        await ledger.query(insert.replace('orders', 'ledger'), row);
        await keys.set(`order:${RUN}:${q.req}`, q.as as string);
        if (q.fault === 'throw-after') throw new Error('handler failed after writing');
        ctx.body = 'ok';
      });
      server = createServer(app.callback());
      await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }, 60_000);

    afterAll(async () => {
      // Every handler done before the pools end: a late one would open a connection the stopping server then kills.
      if (server !== undefined) await new Promise((resolve) => server.close(resolve).closeAllConnections());
      await Promise.allSettled(pools.map((pool) => (pool.ending ? undefined : pool.end())));
      await ledger?.end().catch(() => undefined);
      redis?.disconnect();
      await Promise.all([pgServer?.stop(), redisServer?.stop()]);
    });

    /** Faults that run beside the traffic, each started once when the run reaches its share. */
    function faults(): { at: number; name: string; run: () => Promise<string> }[] {
      const hog = (pool: ShadowPgPool, tag: typeof EMPTY_TAG, ms: number) =>
        runWithTag(tag, async () => {
          // Settled, not all: under load a checkout can time out, and the ones that did not must still be released.
          const settled = await Promise.allSettled(Array.from({ length: POOL_MAX }, () => pool.connect()));
          const clients = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
          // Held idle while the outage may kill them: listened to, as in the tx handler, and released as broken.
          const killed = new Set<pg.PoolClient>();
          const listeners = clients.map((client) => {
            const onError = (): void => void killed.add(client);
            client.on('error', onError);
            return onError;
          });
          await sleep(ms);
          clients.forEach((client, i) => {
            client.off('error', listeners[i] as () => void);
            client.release(killed.has(client) ? new Error('killed while held') : undefined);
          });
          return `held ${clients.length} connections for ${ms} ms`;
        });
      const outage = async () => {
        const db = newPool('postgres', 1);
        await db.query('ALTER DATABASE shadowdb WITH ALLOW_CONNECTIONS false');
        const { rowCount } = await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'shadowdb'");
        await sleep(1500);
        await db.query('ALTER DATABASE shadowdb WITH ALLOW_CONNECTIONS true');
        return `shadow database down 1500 ms, ${rowCount ?? 0} connections killed`;
      };
      return [
        { at: 0.2, name: 'shadow pool exhausted', run: () => hog(orders, createTag({ shadow: true }), 1000) },
        { at: 0.35, name: 'production pool exhausted', run: () => hog(ledger, EMPTY_TAG, 1000) },
        { at: 0.5, name: 'shadow database stopped', run: outage },
        { at: 0.75, name: 'shadow schema pool exhausted', run: () => hog(ledger, createTag({ shadow: true }), 1000) },
      ];
    }

    it(`${SHADOW_REQUESTS} shadow requests among ${PRODUCTION_REQUESTS + FORGED_REQUESTS} others: 0 writes cross over`, async () => {
      const requests = plan();
      const signature = signTag(createTag({ shadow: true }), { keyId: 'loadgen', key: KEY, ttlSeconds: 600 });
      const headers: Record<SentAs, Record<string, string>> = {
        shadow: { 'x-shadow': '1', 'x-dyeline-signature': signature },
        production: {},
        // Claims shadow without a signature: the ingress must drop the mark, so it is production.
        forged: { 'x-shadow': '1' },
      };
      const dispatcher = new Agent({ connections: CONCURRENCY });
      const status: Record<SentAs, Record<string, number>> = { shadow: {}, production: {}, forged: {} };
      const outageStatus: Record<string, number> = {};
      const pending = faults();
      const running: Promise<string>[] = [];
      const faultLog: string[] = [];
      let inOutage = false;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < requests.length) {
          const i = next++;
          while (pending.length > 0 && i >= (pending[0]?.at ?? 1) * requests.length) {
            const fault = pending.shift() as (typeof pending)[number];
            if (fault.name === 'shadow database stopped') inOutage = true;
            running.push(
              fault.run().then(
                (what) => {
                  if (fault.name === 'shadow database stopped') inOutage = false;
                  faultLog.push(`${fault.name}: ${what}`);
                  return what;
                },
                (error: unknown) => `${fault.name} failed: ${String(error)}`,
              ),
            );
          }
          const { sentAs, mode, fault } = requests[i] as Plan;
          let outcome: string;
          try {
            const answer = await fetch(`${url}/?req=${i}&as=${sentAs}&mode=${mode}&fault=${fault}`, {
              method: 'POST',
              headers: headers[sentAs],
              dispatcher,
              ...(fault === 'client-abort' ? { signal: AbortSignal.timeout(2) } : {}),
            } as unknown as RequestInit);
            await answer.arrayBuffer();
            outcome = String(answer.status);
          } catch {
            outcome = 'aborted';
          }
          status[sentAs][outcome] = (status[sentAs][outcome] ?? 0) + 1;
          if (inOutage && sentAs === 'shadow') outageStatus[outcome] = (outageStatus[outcome] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const faultResults = await Promise.all(running);
      await dispatcher.close();
      // Requests the client gave up on may still be writing: let them finish.
      await sleep(300);

      const count = async (database: string, table: string) => {
        const db = newPool(database, 1);
        const { rows } = await db.query<Record<SentAs, number> & { tag_mismatch: number }>(
          `SELECT count(*) FILTER (WHERE sent_as = 'shadow')::int AS shadow,
                  count(*) FILTER (WHERE sent_as = 'production')::int AS production,
                  count(*) FILTER (WHERE sent_as = 'forged')::int AS forged,
                  count(*) FILTER (WHERE tag_shadow <> (sent_as = 'shadow'))::int AS tag_mismatch
             FROM ${table} WHERE run = $1`,
          [RUN],
        );
        return rows[0] as Record<SentAs, number> & { tag_mismatch: number };
      };
      const redisCount = async (pattern: string) => {
        const found: Record<string, number> = {};
        let cursor = '0';
        do {
          const [nextCursor, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = nextCursor;
          const values = batch.length === 0 ? [] : await redis.mget(...batch);
          for (const value of values) found[value ?? 'none'] = (found[value ?? 'none'] ?? 0) + 1;
        } while (cursor !== '0');
        return found;
      };
      const written = {
        prodOrders: await count('prod', 'public.orders'),
        shadowOrders: await count('shadowdb', 'orders'),
        prodLedger: await count('prod', 'public.ledger'),
        shadowLedger: await count('prod', 'shadow.ledger'),
        prodKeys: await redisCount(`order:${RUN}:*`),
        shadowKeys: await redisCount(`shadow_order:${RUN}:*`),
      };

      // Every fault happened, and bit.
      expect(faultResults.every((what) => !what.includes('failed'))).toBe(true);
      expect(faultLog).toHaveLength(4);
      expect(Object.keys(outageStatus).some((code) => code !== '200')).toBe(true);
      expect(status.shadow['500'] ?? 0).toBeGreaterThan(0);

      // The isolation: nothing crossed over, in either direction, in any store.
      const leaks = {
        'shadow rows in production orders': written.prodOrders.shadow,
        'production rows in shadow orders': written.shadowOrders.production + written.shadowOrders.forged,
        'shadow rows in production ledger': written.prodLedger.shadow,
        'production rows in shadow ledger': written.shadowLedger.production + written.shadowLedger.forged,
        'shadow keys in production': written.prodKeys.shadow ?? 0,
        'production keys in shadow': (written.shadowKeys.production ?? 0) + (written.shadowKeys.forged ?? 0),
        'rows whose tag disagreed with the sender':
          written.prodOrders.tag_mismatch + written.shadowOrders.tag_mismatch + written.prodLedger.tag_mismatch + written.shadowLedger.tag_mismatch,
      };
      expect(leaks).toEqual(Object.fromEntries(Object.keys(leaks).map((key) => [key, 0])));

      // ...and the run was not vacuous: most requests of every class did write.
      expect(written.shadowOrders.shadow).toBeGreaterThan(SHADOW_REQUESTS * 0.5);
      expect(written.shadowLedger.shadow).toBeGreaterThan(SHADOW_REQUESTS * 0.5);
      expect(written.shadowKeys.shadow ?? 0).toBeGreaterThan(SHADOW_REQUESTS * 0.5);
      expect(written.prodOrders.production).toBeGreaterThan(PRODUCTION_REQUESTS * 0.5);
      expect(written.prodOrders.forged).toBeGreaterThan(FORGED_REQUESTS * 0.5);
      expect(written.prodKeys.production ?? 0).toBeGreaterThan(PRODUCTION_REQUESTS * 0.5);
    }, 120_000);
  },
);
