import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTag, currentTag, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { JOB_TAG_KEY, laneQueueName, shadowQueue, shadowWorker } from '@dyeline/shadow/bullmq';
import { redisBinary, startRedis } from './harness/redis.js';
import type { RedisServer } from './harness/redis.js';

const SHADOW = createTag({ shadow: true, color: 'feature-42' });
const PROD = createTag({ color: 'blue' });

describe.skipIf(redisBinary === undefined)('BullMQ shadow queue and worker on a real redis-server (skipped: redis-server is not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let server: RedisServer;
  let bare: Redis;
  beforeAll(async () => {
    server = await startRedis();
    bare = new Redis(server.url);
  });
  afterAll(async () => {
    await bare?.quit();
    await server?.stop();
  });
  const connection = () => ({ host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null });

  it('shadow jobs go to the shadow queue with the tag in job data; production jobs to production', async () => {
    const queue = shadowQueue<{ n: number }>('mail', { connection: connection() });
    await runWithTag(SHADOW, () => queue.add('send', { n: 1 }));
    await runWithTag(SHADOW, () => queue.addBulk([{ name: 'send', data: { n: 2 } }]));
    await runWithTag(PROD, () => queue.add('send', { n: 3 }));
    await queue.add('send', { n: 4 });
    const bullKeys = await bare.keys('bull:*:wait');
    expect(bullKeys.sort()).toEqual(['bull:mail:wait', 'bull:shadow_mail:wait']);
    expect(await bare.llen('bull:shadow_mail:wait')).toBe(2);
    expect(await bare.llen('bull:mail:wait')).toBe(2);
    const shadowJobId = (await bare.lrange('bull:shadow_mail:wait', 0, -1))[0]!;
    const data = JSON.parse((await bare.hget(`bull:shadow_mail:${shadowJobId}`, 'data'))!) as Record<string, unknown>;
    expect(data[JOB_TAG_KEY]).toEqual({ 'x-color': 'feature-42', 'x-shadow': '1' });
    // Other methods follow the traffic too: a shadow drain empties only the shadow queue.
    await runWithTag(SHADOW, () => queue.drain());
    expect(await bare.llen('bull:shadow_mail:wait')).toBe(0);
    expect(await bare.llen('bull:mail:wait')).toBe(2);
    expect(runWithTag(SHADOW, () => queue.name)).toBe('shadow_mail');
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('the worker restores the tag; jobs of the shadow queue always run as shadow', async () => {
    const queue = shadowQueue<{ n: string }>('jobs', { connection: connection() });
    const seen = new Map<string, Tag | undefined>();
    const worker = shadowWorker<{ n: string }>('jobs', async (job) => {
      await new Promise((r) => setTimeout(r, 1));
      seen.set(job.data.n, currentTag());
    }, { connection: connection() });
    await runWithTag(SHADOW, () => queue.add('j', { n: 'shadow' }));
    await runWithTag(PROD, () => queue.add('j', { n: 'prod' }));
    // Forged or malformed tag data is dropped and reported, not believed.
    await queue.add('j', { n: 'forged', [JOB_TAG_KEY]: { 'x-color': { evil: true } } } as never);
    // Pushed straight onto the shadow queue without a tag: still shadow.
    const { Queue } = await import('bullmq');
    const raw = new Queue('shadow_jobs', { connection: connection() });
    await raw.add('j', { n: 'raw-shadow' });
    await expect.poll(() => seen.size, { timeout: 10_000 }).toBe(4);
    expect(seen.get('shadow')?.shadow).toBe(true);
    expect(seen.get('shadow')?.color).toBe('feature-42');
    expect(seen.get('prod')?.shadow).toBe(false);
    expect(seen.get('prod')?.color).toBe('blue');
    expect(seen.get('forged')?.color).toBeUndefined();
    expect(seen.get('raw-shadow')?.shadow).toBe(true);
    await worker.close();
    await raw.close();
    await queue.close();
  });

  it('lanes: a lane worker takes its color while live; base takes untagged jobs and colors without a lane', async () => {
    const queue = shadowQueue<{ n: string }>('lanes', { connection: connection() });
    const got: string[] = [];
    const processor = (who: string) => async (job: { data: { n: string } }) => {
      got.push(`${who}:${job.data.n}:${currentTag()?.color ?? '-'}`);
    };
    const base = shadowWorker<{ n: string }>('lanes', processor('base'), { connection: connection() });
    const lane = shadowWorker<{ n: string }>('lanes', processor('lane'), { connection: connection() }, { color: 'feature-42' });
    const { Queue } = await import('bullmq');
    const laneProbe = new Queue(laneQueueName('lanes', 'feature-42'), { connection: connection() });
    await expect.poll(() => laneProbe.getWorkersCount(), { timeout: 5000 }).toBe(1);
    await laneProbe.close();
    const add = (color: string | undefined, n: string, shadow = false) =>
      runWithTag(createTag({ color, shadow }), () => queue.add('j', { n }));
    await add('feature-42', 'a');
    await add(undefined, 'b');
    await add('feature-7', 'c');
    await add('feature-42', 'd', true);
    await expect.poll(() => got.length, { timeout: 10_000 }).toBe(4);
    expect([...got].sort()).toEqual(['base:b:-', 'base:c:feature-7', 'lane:a:feature-42', 'lane:d:feature-42']);
    await lane.close();
    await new Promise((r) => setTimeout(r, 1100)); // the liveness cache (1 s) expires
    got.length = 0;
    await add('feature-42', 'e');
    await expect.poll(() => got, { timeout: 10_000 }).toEqual(['base:e:feature-42']);
    await base.close();
    await queue.close();
  });

  it('rejects a shadow name as the production name', () => {
    expect(() => shadowQueue('shadow_x', { connection: connection() })).toThrow(/shadow name/);
  });
});
