import { PGlite } from '@electric-sql/pglite';
import { createTag, currentTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import { shadowPGlite } from '@dyeline/shadow/pglite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const SHADOW = createTag({ shadow: true, user: 'stress' });
const PROD = createTag({ user: 'alice' });
const TABLE = 'CREATE TABLE items (id serial PRIMARY KEY, src text NOT NULL, who text)';

async function count(db: PGlite, table = 'items'): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]!.n;
}

describe('shadowPGlite with a separate shadow instance', () => {
  let production: PGlite;
  let shadow: PGlite;
  beforeAll(async () => {
    production = await PGlite.create();
    shadow = await PGlite.create();
    await production.exec(TABLE);
    await shadow.exec(TABLE);
  });
  afterAll(async () => {
    await production.close();
    await shadow.close();
  });
  beforeEach(async () => {
    await production.exec('TRUNCATE items');
    await shadow.exec('TRUNCATE items');
  });

  it('puts shadow rows only in shadow and production rows only in production', async () => {
    const db = shadowPGlite({ production, shadow });
    expect(db.strategy).toBe('instance');
    await Promise.all(
      Array.from({ length: 90 }, (_, i) => {
        const job = () => db.query('INSERT INTO items (src, who) VALUES ($1, $2)', [`r${i}`, currentTag()?.user ?? null]);
        return i % 3 === 0 ? job() : runWithTag(i % 3 === 1 ? SHADOW : PROD, job);
      }),
    );
    expect(await count(production)).toBe(60);
    expect(await count(shadow)).toBe(30);
    expect((await production.query<{ n: number }>("SELECT count(*)::int AS n FROM items WHERE who = 'stress'")).rows[0]!.n).toBe(0);
  });

  it('routes sql, exec and transaction too', async () => {
    const db = shadowPGlite({ production, shadow });
    await runWithTag(SHADOW, async () => {
      await db.sql`INSERT INTO items (src) VALUES (${'sql'})`;
      await db.exec("INSERT INTO items (src) VALUES ('exec1'); INSERT INTO items (src) VALUES ('exec2')");
      await db.transaction(async (tx) => {
        expect(currentTag()).toBe(SHADOW);
        await tx.query("INSERT INTO items (src) VALUES ('tx')");
      });
    });
    expect(await count(shadow)).toBe(4);
    expect(await count(production)).toBe(0);
  });

  it('a shadow transaction handle used by a production request is refused (reverse guard)', async () => {
    const db = shadowPGlite({ production, shadow });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let leakedTx: Parameters<Parameters<typeof db.transaction>[0]>[0] | undefined;
    const tx = runWithTag(SHADOW, () =>
      db.transaction(async (t) => {
        leakedTx = t;
        await held;
      }),
    );
    while (leakedTx === undefined) await new Promise((r) => setTimeout(r, 5));
    await runWithTag(PROD, async () => {
      await expect(leakedTx!.query("INSERT INTO items (src) VALUES ('x')")).rejects.toSatisfy(isShadowIsolationError);
    });
    release();
    await tx;
    expect(await count(shadow)).toBe(0);
  });

  it('fails closed without a shadow target: nothing reaches production', async () => {
    const db = shadowPGlite({ production });
    await runWithTag(SHADOW, async () => {
      await expect(db.query("INSERT INTO items (src) VALUES ('leak')")).rejects.toSatisfy(isShadowIsolationError);
      await expect(db.sql`INSERT INTO items (src) VALUES (${'leak'})`).rejects.toSatisfy(isShadowIsolationError);
      await expect(db.exec("INSERT INTO items (src) VALUES ('leak')")).rejects.toSatisfy(isShadowIsolationError);
      await expect(db.transaction(async () => undefined)).rejects.toSatisfy(isShadowIsolationError);
    });
    expect(await count(production)).toBe(0);
  });

  it('validates options at construction', () => {
    expect(() => shadowPGlite({ production: {} as PGlite })).toThrow(/production/);
    expect(() => shadowPGlite({ production, shadow: production })).toThrow(/shadow/);
    expect(() => shadowPGlite({ production, shadow: { schema: 'a b' } })).toThrow(/shadow\.schema/);
    expect(() => shadowPGlite({ production, shadow: 'x' as never })).toThrow(/shadow/);
  });
});

describe('shadowPGlite with a shadow schema in one instance', () => {
  let single: PGlite;
  beforeAll(async () => {
    single = await PGlite.create();
    await single.exec(`${TABLE}; CREATE SCHEMA shadow; CREATE TABLE shadow.items (id serial PRIMARY KEY, src text NOT NULL, who text); CREATE TABLE only_prod (id int)`);
  });
  afterAll(async () => {
    await single.close();
  });

  it('interleaved shadow and production statements never cross (the path is pinned per statement)', async () => {
    const db = shadowPGlite({ production: single, shadow: { schema: 'shadow' } });
    expect(db.strategy).toBe('schema');
    const paths: { shadow: boolean; path: string }[] = [];
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => {
        const tag = i % 2 === 0 ? SHADOW : PROD;
        return runWithTag(tag, async () => {
          await db.query('INSERT INTO items (src, who) VALUES ($1, $2)', [`r${i}`, tag.user]);
          const { rows } = await db.query<{ path: string }>("SELECT current_setting('search_path') AS path");
          paths.push({ shadow: tag.shadow, path: rows[0]!.path });
        });
      }),
    );
    expect(await count(single, 'shadow.items')).toBe(60);
    expect(await count(single, 'public.items')).toBe(60);
    expect((await single.query<{ n: number }>("SELECT count(*)::int AS n FROM public.items WHERE who = 'stress'")).rows[0]!.n).toBe(0);
    expect(paths.filter((p) => p.shadow).every((p) => p.path === '"shadow"' || p.path === 'shadow')).toBe(true);
    expect(paths.filter((p) => !p.shadow).every((p) => !p.path.includes('shadow'))).toBe(true);
  });

  it('a table missing from the shadow schema is an error, not a fall-through', async () => {
    const db = shadowPGlite({ production: single, shadow: { schema: 'shadow' } });
    await runWithTag(SHADOW, async () => {
      await expect(db.query('INSERT INTO only_prod VALUES (1)')).rejects.toThrow(/only_prod/);
    });
    expect(await count(single, 'only_prod')).toBe(0);
  });

  it('refuses shadow exec and transaction (they could end the pinning transaction)', async () => {
    const db = shadowPGlite({ production: single, shadow: { schema: 'shadow' } });
    const before = await count(single, 'public.items');
    await runWithTag(SHADOW, async () => {
      await expect(db.exec("COMMIT; INSERT INTO items (src) VALUES ('x')")).rejects.toSatisfy(isShadowIsolationError);
      await expect(db.transaction(async () => undefined)).rejects.toSatisfy(isShadowIsolationError);
    });
    expect(await count(single, 'public.items')).toBe(before);
    // production exec is untouched
    await expect(db.exec('SELECT 1')).resolves.toHaveLength(1);
  });
});
