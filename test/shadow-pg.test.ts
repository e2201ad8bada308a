import { once } from 'node:events';
import { createTag, currentTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { createShadowResolver } from '@dyeline/shadow';
import { shadowPool } from '@dyeline/shadow/pg';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresBinary, startPostgres } from './harness/postgres.js';
import type { PostgresServer } from './harness/postgres.js';

const SHADOW = createTag({ shadow: true, user: 'stress-1' });
const SHADOW_2 = createTag({ shadow: true, user: 'stress-2' });
const PROD = createTag({ user: 'alice' });

describe.skipIf(postgresBinary === undefined)('shadowPool on PostgreSQL (skipped: postgres 15 binaries not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let server: PostgresServer;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];

  function pool(database: string, max = 4): pg.Pool {
    const p = new pg.Pool({ host: server.host, port: server.port, user: server.user, database, max });
    pools.push(p);
    return p;
  }

  async function count(database: string, table = 'items'): Promise<number> {
    const p = new pg.Pool({ host: server.host, port: server.port, user: server.user, database, max: 1 });
    try {
      const { rows } = await p.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
      return Number(rows[0]?.n);
    } finally {
      await p.end();
    }
  }

  function insert(sp: { query: pg.Pool['query'] }, src: string): Promise<unknown> {
    return sp.query('INSERT INTO items (src, who) VALUES ($1, $2)', [src, currentTag()?.user ?? null]);
  }

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ host: server.host, port: server.port, user: server.user, database: 'postgres', max: 1 });
    for (const db of ['prod', 'shadowdb', 'app']) await admin.query(`CREATE DATABASE ${db}`);
    for (const db of ['prod', 'shadowdb']) {
      const p = pool(db, 1);
      await p.query('CREATE TABLE items (id serial PRIMARY KEY, src text NOT NULL, who text)');
    }
    const app = pool('app', 1);
    await app.query('CREATE SCHEMA shadow');
    await app.query('CREATE TABLE public.items (id serial PRIMARY KEY, src text NOT NULL, who text)');
    await app.query('CREATE TABLE shadow.items (id serial PRIMARY KEY, src text NOT NULL, who text)');
    await app.query('CREATE TABLE public.only_prod (id int)');
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => (p.ending ? undefined : p.end())));
    await admin?.end();
    await server?.stop();
  });

  beforeEach(async () => {
    const app = pool('app', 1);
    await app.query('TRUNCATE public.items, shadow.items');
    for (const db of ['prod', 'shadowdb']) await pool(db, 1).query('TRUNCATE items');
  });

  afterEach(async () => {
    // each test's pools are ended here, so a leaked checkout cannot outlive it
    await Promise.all(pools.splice(0).map((p) => (p.ending ? undefined : p.end())));
  });

  it('puts shadow rows only in the shadow database and production rows only in production', async () => {
    const sp = shadowPool({ production: pool('prod'), shadow: pool('shadowdb') });
    expect(sp.strategy).toBe('pool');
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const tag = i % 3 === 0 ? PROD : i % 3 === 1 ? SHADOW : undefined;
      const job = () => insert(sp, `r${i}`);
      jobs.push(tag === undefined ? job() : runWithTag(tag, job));
    }
    await Promise.all(jobs);
    expect(await count('prod')).toBe(40);
    expect(await count('shadowdb')).toBe(20);
    const prodWho = await pool('prod', 1).query("SELECT count(*)::int AS n FROM items WHERE who LIKE 'stress-%'");
    expect(prodWho.rows[0].n).toBe(0);
  });

  it('routes checked-out clients and transactions by the tag at checkout', async () => {
    const sp = shadowPool({ production: pool('prod'), shadow: pool('shadowdb') });
    await runWithTag(SHADOW, async () => {
      const client = await sp.connect();
      try {
        await client.query('BEGIN');
        await client.query("INSERT INTO items (src) VALUES ('tx')");
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    expect(await count('shadowdb')).toBe(1);
    expect(await count('prod')).toBe(0);
  });

  it('fails closed: shadow without a shadow target is refused and nothing is sent', async () => {
    const production = pool('prod');
    let acquired = 0;
    production.on('acquire', () => acquired++);
    const sp = shadowPool({ production });
    expect(sp.strategy).toBe('none');
    await runWithTag(SHADOW, async () => {
      await expect(insert(sp, 'leak')).rejects.toSatisfy(isShadowIsolationError);
      await expect(sp.connect()).rejects.toSatisfy(isShadowIsolationError);
      const viaCallback = await new Promise<unknown>((resolve) => {
        sp.query("INSERT INTO items (src) VALUES ('leak')", (error: Error | undefined) => resolve(error));
      });
      expect(isShadowIsolationError(viaCallback)).toBe(true);
      const viaConnect = await new Promise<unknown>((resolve) => {
        sp.connect((error) => resolve(error));
      });
      expect(isShadowIsolationError(viaConnect)).toBe(true);
    });
    expect(acquired).toBe(0);
    expect(production.totalCount).toBe(0);
    expect(await count('prod')).toBe(0);
  });

  it('reverse guard: a shadow client used by a production request is refused, and vice versa', async () => {
    const sp = shadowPool({ production: pool('prod'), shadow: pool('shadowdb') });
    const shadowClient = await runWithTag(SHADOW, () => sp.connect());
    const prodClient = await runWithTag(PROD, () => sp.connect());
    try {
      await runWithTag(PROD, async () => {
        await expect(shadowClient.query("INSERT INTO items (src) VALUES ('x')")).rejects.toSatisfy(isShadowIsolationError);
      });
      await runWithTag(SHADOW, async () => {
        await expect(prodClient.query("INSERT INTO items (src) VALUES ('x')")).rejects.toSatisfy(isShadowIsolationError);
      });
      // outside any request is production too
      await expect(shadowClient.query('SELECT 1')).rejects.toSatisfy(isShadowIsolationError);
    } finally {
      shadowClient.release();
      prodClient.release();
    }
    expect(await count('prod')).toBe(0);
    expect(await count('shadowdb')).toBe(0);
  });

  it('reverse guard in report mode reports and lets the production request through', async () => {
    const reports: unknown[] = [];
    const resolver = createShadowResolver({ reverseGuard: 'report', onReport: (e) => reports.push(e) });
    const sp = shadowPool({ production: pool('prod'), shadow: pool('shadowdb'), resolver });
    const client = await runWithTag(SHADOW, () => sp.connect());
    try {
      await client.query('SELECT 1');
    } finally {
      client.release();
    }
    expect(reports).toHaveLength(1);
    expect(isShadowIsolationError(reports[0])).toBe(true);
  });

  describe('callback context (pg callbacks run in another context unless bound)', () => {
    it('bare pg runs a client query callback in the socket context (the loss this guards against)', async () => {
      const bare = pool('prod', 1);
      await bare.query('SELECT 1'); // connection opened outside any request
      const seen = await runWithTag(SHADOW, () =>
        new Promise<Tag | undefined>((resolve) => {
          bare.connect((_e, client, done) => {
            client?.query('SELECT 1', () => {
              done();
              resolve(currentTag());
            });
          });
        }),
      );
      expect(seen).not.toBe(SHADOW);
    });

    it('a shadow query issued from pool.query / connect / client.query callbacks still goes to shadow', async () => {
      const production = pool('prod', 1);
      const shadowTarget = pool('shadowdb', 1);
      // open both connections outside any request: their sockets carry no tag
      await production.query('SELECT 1');
      await shadowTarget.query('SELECT 1');
      const sp = shadowPool({ production, shadow: shadowTarget });
      const seen: (Tag | undefined)[] = [];
      await runWithTag(SHADOW, () =>
        new Promise<void>((resolve, reject) => {
          sp.query('SELECT 1', (e1: Error | undefined) => {
            if (e1) return reject(e1);
            seen.push(currentTag());
            sp.query("INSERT INTO items (src) VALUES ('from query cb')", (e2: Error | undefined) => {
              if (e2) return reject(e2);
              sp.connect((e3, client, done) => {
                if (e3 || client === undefined) return reject(e3);
                seen.push(currentTag());
                client.query('SELECT 1', (e4: Error | undefined) => {
                  done();
                  if (e4) return reject(e4);
                  seen.push(currentTag());
                  insert(sp, 'from client cb').then(() => resolve(), reject);
                });
              });
            });
          });
        }),
      );
      expect(seen).toEqual([SHADOW, SHADOW, SHADOW]);
      expect(await count('shadowdb')).toBe(2);
      expect(await count('prod')).toBe(0);
    });

    it('keeps the context of a checkout queued behind an exhausted pool (max 1)', async () => {
      const sp = shadowPool({ production: pool('prod', 1), shadow: pool('shadowdb', 1) });
      const holder = await runWithTag(SHADOW, () => sp.connect());
      const seen: (Tag | undefined)[] = [];
      const queued = runWithTag(SHADOW_2, () =>
        new Promise<void>((resolve, reject) => {
          sp.connect((error, client, done) => {
            if (error || client === undefined) return reject(error);
            seen.push(currentTag());
            done();
            // a further query from inside the queued callback
            insert(sp, 'after queue').then(() => resolve(), reject);
          });
          sp.query("INSERT INTO items (src) VALUES ('queued query')", (e: Error | undefined) => {
            seen.push(currentTag());
            if (e) reject(e);
          });
        }),
      );
      // the holder is released from a production request: bare pg would run
      // the queued callbacks in this context
      await runWithTag(PROD, async () => {
        await insert(sp, 'prod while shadow queued');
        holder.release();
      });
      await queued;
      expect(seen).toEqual([SHADOW_2, SHADOW_2]);
      const shadowRows = await pool('shadowdb', 1).query<{ src: string; who: string | null }>('SELECT src, who FROM items ORDER BY id');
      expect(shadowRows.rows.map((r) => r.src).sort()).toEqual(['after queue', 'queued query']);
      expect(shadowRows.rows.find((r) => r.src === 'after queue')?.who).toBe('stress-2');
      expect(await count('prod')).toBe(1);
    });
  });

  describe('schema strategy', () => {
    function appPool(max = 2): pg.Pool {
      return pool('app', max);
    }

    it('puts shadow rows in the shadow schema only', async () => {
      const sp = shadowPool({ production: appPool(), shadow: { schema: 'shadow' } });
      expect(sp.strategy).toBe('schema');
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) => runWithTag(i % 2 === 0 ? SHADOW : PROD, () => insert(sp, `s${i}`))),
        );
      } finally {
        await sp.end();
      }
      expect(await count('app', 'shadow.items')).toBe(20);
      expect(await count('app', 'public.items')).toBe(20);
      const leaked = await pool('app', 1).query("SELECT count(*)::int AS n FROM public.items WHERE who LIKE 'stress-%'");
      expect(leaked.rows[0].n).toBe(0);
    });

    it('a pinned-schema connection never serves production, and production connections never the shadow path', async () => {
      const sp = shadowPool({ production: appPool(2), shadow: { schema: 'shadow', config: { max: 2 } } });
      const sql = "SELECT pg_backend_pid() AS pid, current_setting('search_path') AS path";
      const results: { shadow: boolean; pid: number; path: string }[] = [];
      try {
        await Promise.all(
          Array.from({ length: 60 }, (_, i) => {
            const tag = i % 2 === 0 ? SHADOW : PROD;
            return runWithTag(tag, async () => {
              const { rows } = await sp.query<{ pid: number; path: string }>(sql);
              results.push({ shadow: tag.shadow, pid: rows[0]!.pid, path: rows[0]!.path });
            });
          }),
        );
      } finally {
        await sp.end();
      }
      const shadowPids = new Set(results.filter((r) => r.shadow).map((r) => r.pid));
      const prodPids = new Set(results.filter((r) => !r.shadow).map((r) => r.pid));
      expect([...shadowPids].filter((pid) => prodPids.has(pid))).toEqual([]);
      expect(new Set(results.filter((r) => r.shadow).map((r) => r.path))).toEqual(new Set(['shadow']));
      expect(results.filter((r) => !r.shadow).every((r) => r.path !== 'shadow' && !r.path.includes('shadow'))).toBe(true);
    });

    it('a table missing from the shadow schema is an error, never a fall-through to public', async () => {
      const sp = shadowPool({ production: appPool(), shadow: { schema: 'shadow' } });
      try {
        await runWithTag(SHADOW, async () => {
          await expect(sp.query('INSERT INTO only_prod VALUES (1)')).rejects.toThrow(/only_prod/);
        });
        await expect(sp.query('SELECT count(*) FROM only_prod')).resolves.toBeTruthy();
      } finally {
        await sp.end();
      }
    });

    it('a connection string that overrides options still gets the shadow path (SET before first use)', async () => {
      const production = new pg.Pool({
        connectionString: `postgres://${server.user}@${server.host}:${server.port}/app?options=-c%20application_name%3Dx`,
        max: 1,
      });
      pools.push(production);
      const sp = shadowPool({ production, shadow: { schema: 'shadow' } });
      try {
        const { rows } = await runWithTag(SHADOW, () => sp.query<{ path: string }>("SELECT current_setting('search_path') AS path"));
        expect(rows[0]?.path).toBe('shadow');
      } finally {
        await sp.end();
      }
    });

    it('rejects an unsafe schema name at construction', () => {
      const production = appPool();
      expect(() => shadowPool({ production, shadow: { schema: 'x; DROP TABLE items' } })).toThrow(/shadow\.schema/);
      expect(() => shadowPool({ production, shadow: production })).toThrow(/shadow/);
      expect(() => shadowPool({ production: {} as pg.Pool })).toThrow(/production/);
      expect(() => shadowPool({ production, resolver: {} as never })).toThrow(/resolver/);
    });
  });

  it('under mixed concurrent load (both forms, pools of 2) production and shadow never cross', async () => {
    const sp = shadowPool({ production: pool('prod', 2), shadow: pool('shadowdb', 2) });
    const N = 400;
    await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const tag = i % 2 === 0 ? createTag({ shadow: true, user: `stress-${i}` }) : createTag({ user: `user-${i}` });
        return runWithTag(tag, () =>
          i % 4 < 2
            ? insert(sp, `p${i}`)
            : new Promise<void>((resolve, reject) => {
                sp.connect((error, client, done) => {
                  if (error || client === undefined) return reject(error);
                  client.query('SELECT 1', () => {
                    done();
                    insert(sp, `c${i}`).then(() => resolve(), reject);
                  });
                });
              }),
        );
      }),
    );
    const prod = await pool('prod', 1).query<{ who: string }>('SELECT who FROM items');
    const shadow = await pool('shadowdb', 1).query<{ who: string }>('SELECT who FROM items');
    expect(prod.rows).toHaveLength(N / 2);
    expect(shadow.rows).toHaveLength(N / 2);
    expect(prod.rows.every((r) => r.who.startsWith('user-'))).toBe(true);
    expect(shadow.rows.every((r) => r.who.startsWith('stress-'))).toBe(true);
  });

  it('forwards pool events to every underlying pool', async () => {
    const sp = shadowPool({ production: pool('prod', 1), shadow: pool('shadowdb', 1) });
    let connects = 0;
    sp.on('connect', () => connects++);
    await sp.query('SELECT 1');
    const shadowConnected = once(pools[pools.length - 1]!, 'connect');
    await runWithTag(SHADOW, () => sp.query('SELECT 1'));
    await shadowConnected;
    expect(connects).toBe(2);
  });
});
