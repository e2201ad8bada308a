import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'amqplib';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { createTag, currentTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { shadowChannel } from '@dyeline/shadow/amqplib';
import { rabbitmqBinary, startRabbit } from './harness/rabbitmq.js';
import type { RabbitServer } from './harness/rabbitmq.js';

const SHADOW = createTag({ shadow: true, user: 'load-1' });
const PROD = createTag({ user: 'u1' });

describe.skipIf(rabbitmqBinary === undefined)('amqplib shadow channel on a real RabbitMQ (skipped: rabbitmq-server is not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let server: RabbitServer;
  let connection: ChannelModel;
  let bare: Channel;
  const counts = async (...queues: string[]) =>
    Object.fromEntries(await Promise.all(queues.map(async (q) => [q, (await bare.checkQueue(q)).messageCount] as const)));

  beforeAll(async () => {
    server = await startRabbit();
    connection = await connect(server.url);
    bare = await connection.createChannel();
  }, 90_000);
  afterAll(async () => {
    await connection?.close().catch(() => undefined);
    await server?.stop();
  });

  const channel = async (lanes = true) => shadowChannel({ channel: await connection.createChannel(), lanes });

  it('shadow messages land only in shadow queues, production only in production', async () => {
    const ch = await channel();
    await ch.assertQueue('orders', { durable: false });
    for (let i = 0; i < 5; i++) {
      runWithTag(SHADOW, () => ch.sendToQueue('orders', Buffer.from(`s${i}`)));
      runWithTag(PROD, () => ch.sendToQueue('orders', Buffer.from(`p${i}`)));
    }
    runWithTag(SHADOW, () => ch.publish('', 'orders', Buffer.from('via default exchange')));
    await expect.poll(() => counts('orders', 'shadow_orders')).toEqual({ orders: 5, shadow_orders: 6 });
    const msg = (await bare.get('shadow_orders')) as GetMessage;
    expect(msg.properties.headers).toMatchObject({ 'x-shadow': '1', 'x-user': 'load-1' });
    await bare.purgeQueue('orders');
    await bare.purgeQueue('shadow_orders');
  });

  it('exchanges: shadow publishes go to the shadow exchange and its bound shadow queue', async () => {
    const ch = await channel();
    await ch.assertExchange('events', 'topic', { durable: false });
    await ch.assertQueue('audit', { durable: false });
    await ch.bindQueue('audit', 'events', 'order.*');
    runWithTag(SHADOW, () => ch.publish('events', 'order.created', Buffer.from('s')));
    runWithTag(PROD, () => ch.publish('events', 'order.created', Buffer.from('p')));
    await expect.poll(() => counts('audit', 'shadow_audit')).toEqual({ audit: 1, shadow_audit: 1 });
    const error = await Promise.resolve()
      .then(() => runWithTag(PROD, () => ch.sendToQueue('shadow_audit', Buffer.from('x'))))
      .catch((e: unknown) => e);
    expect(isShadowIsolationError(error)).toBe(true);
  });

  it('consumers restore the tag for the handler; shadow twin messages are forced shadow', async () => {
    const ch = await channel();
    await ch.assertQueue('jobs', { durable: false });
    const seen: Array<{ body: string; tag: Tag | undefined }> = [];
    await ch.consume('jobs', (msg) => {
      if (msg === null) return;
      seen.push({ body: msg.content.toString(), tag: currentTag() });
      ch.ack(msg);
    });
    runWithTag(SHADOW, () => ch.sendToQueue('jobs', Buffer.from('s')));
    runWithTag(PROD, () => ch.sendToQueue('jobs', Buffer.from('p')));
    // A message put straight into the shadow queue without headers is still shadow for the handler.
    bare.sendToQueue('shadow_jobs', Buffer.from('bare'));
    // A malformed header is dropped, not thrown.
    bare.sendToQueue('jobs', Buffer.from('bad'), { headers: { 'x-color': 'no spaces allowed' } });
    await expect.poll(() => seen.length).toBe(4);
    const byBody = Object.fromEntries(seen.map((s) => [s.body, s.tag]));
    expect(byBody.s?.shadow).toBe(true);
    expect(byBody.s?.user).toBe('load-1');
    expect(byBody.p?.shadow).toBe(false);
    expect(byBody.p?.user).toBe('u1');
    expect(byBody.bare?.shadow).toBe(true);
    expect(byBody.bad?.color).toBeUndefined();
  });

  it('lanes: a lane consumer takes its color; base takes untagged and colors without a live lane', async () => {
    const producer = await channel();
    const baseCh = await channel();
    const laneCh = await channel();
    for (const ch of [producer, baseCh, laneCh]) await ch.assertQueue('work', { durable: false });
    const got: string[] = [];
    await baseCh.consume('work', (msg) => {
      if (msg === null) return;
      got.push(`base:${msg.content.toString()}:${currentTag()?.color ?? '-'}`);
      baseCh.ack(msg);
    });
    const lane = await laneCh.consume('work', (msg) => {
      if (msg === null) return;
      got.push(`lane:${msg.content.toString()}:${currentTag()?.color ?? '-'}`);
      laneCh.ack(msg);
    }, { color: 'feature-42' });
    const send = (color: string | undefined, body: string) =>
      runWithTag(createTag({ color }), () => producer.sendToQueue('work', Buffer.from(body)));
    send('feature-42', 'a');
    send(undefined, 'b');
    send('feature-7', 'c');
    runWithTag(createTag({ color: 'feature-42', shadow: true }), () => producer.sendToQueue('work', Buffer.from('d')));
    await expect.poll(() => got.length).toBe(4);
    expect(got.sort()).toEqual(['base:b:-', 'base:c:feature-7', 'lane:a:feature-42', 'lane:d:feature-42']);
    // The lane consumer goes away: its color falls back to base.
    await laneCh.cancel(lane.consumerTag);
    got.length = 0;
    send('feature-42', 'e');
    await expect.poll(() => got).toEqual(['base:e:feature-42']);
  });

  it('a lane consumer on a channel that closes stops getting its color (the queue is exclusive)', async () => {
    const producer = await channel();
    await producer.assertQueue('tasks', { durable: false });
    const laneConnection = await connect(server.url);
    const laneCh = shadowChannel({ channel: await laneConnection.createChannel() });
    await laneCh.assertQueue('tasks', { durable: false });
    await laneCh.consume('tasks', () => undefined, { color: 'lane-x', noAck: true });
    await laneConnection.close();
    runWithTag(createTag({ color: 'lane-x' }), () => producer.sendToQueue('tasks', Buffer.from('back to base')));
    await expect.poll(() => counts('tasks')).toEqual({ tasks: 1 });
  });
});
