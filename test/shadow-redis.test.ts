import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import { createShadowResolver } from '@dyeline/shadow';
import { shadowRedis } from '@dyeline/shadow/ioredis';
import { redisBinary, startRedis } from './harness/redis.js';
import type { RedisServer } from './harness/redis.js';

const SHADOW = createTag({ shadow: true });
const PROD = createTag({ color: 'blue' });
const asShadow = <T>(fn: () => T): T => runWithTag(SHADOW, fn);

describe.skipIf(redisBinary === undefined)('ioredis shadow wrapper on a real redis-server (skipped: redis-server is not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let server: RedisServer;
  let bare: Redis;
  const clients: Redis[] = [];
  const client = (db = 0): Redis => {
    const c = new Redis(`${server.url}/${db}`, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startRedis();
    bare = new Redis(server.url);
  });
  afterEach(async () => {
    await bare.flushall();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await bare?.quit();
    await server?.stop();
  });

  const keys = async (db = 0) => {
    const c = db === 0 ? bare : client(db);
    return (await c.keys('*')).sort();
  };

  it('prefix strategy: shadow writes land under shadow_ keys, production writes under their own names', async () => {
    const redis = shadowRedis({ production: client() });
    await asShadow(async () => {
      await redis.set('user:1', 'shadow-value');
      await redis.mset({ 'a': '1', 'b': '2' });
      await redis.hset('h', { f: 'v' });
      await redis.lpush('list', 'x');
      expect(await redis.get('user:1')).toBe('shadow-value');
      expect(await redis.mget('a', 'b')).toEqual(['1', '2']);
    });
    await runWithTag(PROD, () => redis.set('user:1', 'prod-value'));
    await redis.set('outside', 'no-context');
    expect(await keys()).toEqual(['outside', 'shadow_a', 'shadow_b', 'shadow_h', 'shadow_list', 'shadow_user:1', 'user:1']);
    expect(await bare.get('user:1')).toBe('prod-value');
    expect(await bare.get('shadow_user:1')).toBe('shadow-value');
  });

  it('a production request touching a shadow key is refused (reverse guard), or reported', async () => {
    const redis = shadowRedis({ production: client() });
    const error = await runWithTag(PROD, () => redis.set('shadow_x', '1')).catch((e: unknown) => e);
    expect(isShadowIsolationError(error)).toBe(true);
    const reports: unknown[] = [];
    const lenient = shadowRedis({
      production: client(),
      resolver: createShadowResolver({ reverseGuard: 'report', onReport: (e) => reports.push(e) }),
    });
    await lenient.set('shadow_y', '1');
    expect(reports).toHaveLength(1);
    expect(await keys()).toEqual(['shadow_y']);
  });

  it('commands whose keys cannot be placed are refused under shadow, and do nothing', async () => {
    const redis = shadowRedis({ production: client() });
    await bare.set('precious', '1');
    const refused = [
      () => redis.flushall(),
      () => redis.flushdb(),
      () => redis.dbsize(),
      () => redis.randomkey(),
      () => redis.call('JSON.SET', 'doc', '$', '{}'),
      () => redis.eval("return redis.call('del', 'precious')", 0),
      () => redis.client('LIST'),
      () => redis.select(1),
      () => redis.monitor(),
    ];
    for (const run of refused) {
      const error = await asShadow(run).then(() => 'resolved', (e: unknown) => e);
      expect(isShadowIsolationError(error), String(run)).toBe(true);
    }
    expect(await bare.get('precious')).toBe('1');
    expect(await asShadow(() => redis.ping())).toBe('PONG');
    // Production still gets them.
    expect(await runWithTag(PROD, () => redis.dbsize())).toBe(1);
  });

  it('pipelines and multi: every queued command is placed; an unplaceable one throws before anything is sent', async () => {
    const redis = shadowRedis({ production: client() });
    await asShadow(async () => {
      const results = await redis.pipeline().set('p1', '1').incr('p2').get('p1').exec();
      expect(results?.map(([, v]) => v)).toEqual(['OK', 1, '1']);
      await redis.multi().set('m1', '1').sadd('m2', 'a').exec();
      await redis.pipeline([['set', 'arr1', '1'], ['set', 'arr2', '2']]).exec();
      await redis.multi([['set', 'marr', '1']]).exec();
      expect(() => redis.pipeline().set('never', '1').flushall()).toThrow(/flushall/);
    });
    await runWithTag(PROD, () => redis.pipeline().set('prod1', '1').exec());
    expect(await keys()).toEqual(['prod1', 'shadow_arr1', 'shadow_arr2', 'shadow_m1', 'shadow_m2', 'shadow_marr', 'shadow_p1', 'shadow_p2']);
  });

  it('KEYS and SCAN see only shadow keys under shadow (MATCH gets the prefix; replies keep it)', async () => {
    const redis = shadowRedis({ production: client() });
    await bare.mset('k1', 'p', 'k2', 'p', 'shadow_k1', 's');
    const [shadowKeys, scanned, scannedAll, streamed, sscanned] = await asShadow(async () => {
      await redis.sadd('set', 'm1', 'm2');
      const streamKeys: string[] = [];
      const stream = redis.scanStream({ match: 'k*' });
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (batch: string[]) => streamKeys.push(...batch));
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      return Promise.all([
        redis.keys('k*'),
        redis.scan('0', 'MATCH', 'k*', 'COUNT', 1000),
        redis.scan('0', 'COUNT', 1000),
        streamKeys,
        redis.sscan('set', '0', 'MATCH', 'm*'),
      ]);
    });
    expect(shadowKeys).toEqual(['shadow_k1']);
    expect(scanned[1]).toEqual(['shadow_k1']);
    expect(scannedAll[1].sort()).toEqual(['shadow_k1', 'shadow_set']);
    expect(streamed).toEqual(['shadow_k1']);
    expect(sscanned[1].sort()).toEqual(['m1', 'm2']);
    // A key read back from SCAN is already shadow: using it again stays in shadow.
    expect(await asShadow(() => redis.get(shadowKeys[0]!))).toBe('s');
  });

  it('scripts: EVAL/EVALSHA keys declared by numkeys are placed; defineCommand works', async () => {
    const redis = shadowRedis({ production: client() });
    await asShadow(async () => {
      await redis.eval("return redis.call('set', KEYS[1], ARGV[1])", 1, 'e1', 'v');
      redis.defineCommand('setTwo', { numberOfKeys: 2, lua: "redis.call('set', KEYS[1], ARGV[1]); return redis.call('set', KEYS[2], ARGV[1])" });
      await (redis as unknown as { setTwo(...a: string[]): Promise<unknown> }).setTwo('d1', 'd2', 'v');
    });
    expect(await keys()).toEqual(['shadow_d1', 'shadow_d2', 'shadow_e1']);
  });

  it('pub/sub: shadow publishes reach only shadow subscribers (channels get the prefix)', async () => {
    const redis = shadowRedis({ production: client() });
    const shadowSub = redis.duplicate();
    const prodSub = redis.duplicate();
    clients.push(shadowSub, prodSub);
    const shadowGot: string[] = [];
    const prodGot: string[] = [];
    shadowSub.on('message', (channel: string, message: string) => shadowGot.push(`${channel}:${message}`));
    prodSub.on('message', (channel: string, message: string) => prodGot.push(`${channel}:${message}`));
    await asShadow(() => shadowSub.subscribe('news'));
    await runWithTag(PROD, () => prodSub.subscribe('news'));
    expect(await asShadow(() => redis.publish('news', 'stress'))).toBe(1);
    expect(await runWithTag(PROD, () => redis.publish('news', 'real'))).toBe(1);
    await expect.poll(() => shadowGot.length + prodGot.length).toBe(2);
    expect(shadowGot).toEqual(['shadow_news:stress']);
    expect(prodGot).toEqual(['news:real']);
    const psub = redis.duplicate();
    clients.push(psub);
    const pGot: string[] = [];
    psub.on('pmessage', (_p: string, channel: string) => pGot.push(channel));
    await asShadow(() => psub.psubscribe('ne*'));
    await runWithTag(PROD, () => redis.publish('news', 'real'));
    await asShadow(() => redis.publish('news', 'stress'));
    await expect.poll(() => pGot).toEqual(['shadow_news']);
  });

  it('pub/sub handlers run with the tag of their channel, not the context the socket was opened in', async () => {
    const redis = shadowRedis({ production: client() });
    // Opened inside a shadow request: its socket callbacks would otherwise carry shadow.
    const sub = asShadow(() => redis.duplicate());
    clients.push(sub);
    const done: string[] = [];
    sub.on('message', (channel: string, message: string) => {
      void redis.set(`handled:${message}`, channel).then(() => done.push(message));
    });
    await sub.subscribe('orders'); // production subscription, from outside any request
    await asShadow(() => sub.subscribe('orders')); // and the shadow one
    await runWithTag(PROD, () => redis.publish('orders', 'p1'));
    await asShadow(() => redis.publish('orders', 's1'));
    await expect.poll(() => done.length).toBe(2);
    expect(await keys()).toEqual(['handled:p1', 'shadow_handled:s1']);
  });

  it('a command issued from inside an ioredis callback keeps the shadow tag', async () => {
    const redis = shadowRedis({ production: client() });
    await new Promise<void>((resolve, reject) => {
      asShadow(() => {
        void redis.set('cb1', '1', (err) => {
          if (err) return reject(err);
          void redis.get('cb1', (err2, value) => {
            if (err2 || value !== '1') return reject(err2 ?? new Error(`got ${value}`));
            redis.set('cb2', '2').then(() => resolve(), reject);
          });
        });
      });
    });
    // From a subscriber event handler after the subscribe promise, too.
    expect(await keys()).toEqual(['shadow_cb1', 'shadow_cb2']);
  });

  it('client strategy: shadow commands go to the shadow client; no shadow client fails closed', async () => {
    const redis = shadowRedis({ production: client(0), shadow: client(1) });
    await asShadow(async () => {
      await redis.set('k', 'shadow');
      await redis.pipeline().set('p', '1').exec();
      await redis.flushdb(); // allowed: it is the shadow database
      await redis.set('after', '1');
    });
    await runWithTag(PROD, () => redis.set('k', 'prod'));
    expect(await keys(0)).toEqual(['k']);
    expect(await keys(1)).toEqual(['after']);
    const closed = shadowRedis({ production: client(0), strategy: 'client' });
    const error = await asShadow(() => closed.set('k', 'x')).catch((e: unknown) => e);
    expect(isShadowIsolationError(error)).toBe(true);
    expect(await bare.get('k')).toBe('prod');
  });

  it('concurrent shadow and production requests on one client never cross', async () => {
    const redis = shadowRedis({ production: client() });
    await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        runWithTag(i % 2 === 0 ? SHADOW : PROD, async () => {
          await new Promise((r) => setImmediate(r));
          await redis.set(`c:${i}`, String(i));
          if (i % 3 === 0) await redis.pipeline().incr(`n:${i}`).exec();
        }),
      ),
    );
    const all = await keys();
    const shadowKeys = all.filter((k) => k.startsWith('shadow_'));
    expect(shadowKeys.every((k) => Number(k.split(':')[1]) % 2 === 0)).toBe(true);
    expect(all.filter((k) => !k.startsWith('shadow_')).every((k) => Number(k.split(':')[1]) % 2 === 1)).toBe(true);
    expect(shadowKeys.length).toBe(200 + 67); // even i, plus even multiples of 3
  });

  it('an auto-pipelining client shared with bare callers: wrapper commands are still placed', async () => {
    const production = new Redis(server.url, { enableAutoPipelining: true });
    clients.push(production);
    const redis = shadowRedis({ production });
    expect(redis).toBeInstanceOf(Redis);
    await Promise.all([
      runWithTag(SHADOW, () => redis.set('ap1', '1')),
      production.set('bare1', '1'),
      runWithTag(SHADOW, () => redis.set('ap2', '1')),
      production.set('bare2', '1'),
    ]);
    expect(await keys()).toEqual(['bare1', 'bare2', 'shadow_ap1', 'shadow_ap2']);
    expect(redis.status).toBe(production.status);
  });

  it('rejects bad options at construction', () => {
    expect(() => shadowRedis({} as never)).toThrow(/production/);
    const c = client();
    expect(() => shadowRedis({ production: c, shadow: c })).toThrow(/shadow/);
    expect(() => shadowRedis({ production: c, strategy: 'nope' as never })).toThrow(/strategy/);
  });
});
