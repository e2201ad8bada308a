// The audit's RabbitMQ probe against a real broker: a queue's message count
// before and after, a missing queue read as none, a production publish failing
// the comparison.
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareSnapshots, parseAuditConfig, takeSnapshot } from '@dyeline/cli';
import { rabbitmqBinary, startRabbit } from './harness/rabbitmq.js';
import type { RabbitServer } from './harness/rabbitmq.js';

describe.skipIf(rabbitmqBinary === undefined)('dyeline audit: RabbitMQ queues (skipped: rabbitmq-server not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let rabbit: RabbitServer;
  beforeAll(async () => {
    rabbit = await startRabbit();
  }, 90_000);
  afterAll(() => rabbit?.stop());

  it('counts messages per queue; a production publish fails the audit, a shadow one does not', async () => {
    const model = await connect(rabbit.url);
    const channel = await model.createConfirmChannel();
    await channel.assertQueue('orders');
    await channel.assertQueue('shadow_orders');
    const config = parseAuditConfig({
      checks: [
        { name: 'events', rabbitmq: { url: rabbit.url, production: 'orders', shadow: 'shadow_orders' } },
        { name: 'never declared', rabbitmq: { url: rabbit.url, production: 'no_such_queue' } },
      ],
    });
    const publish = async (queue: string, n: number) => {
      for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(String(i)));
      await channel.waitForConfirms();
    };
    try {
      const before = await takeSnapshot(config);
      expect(before.values).toEqual({ events: { production: 0, shadow: 0 }, 'never declared': { production: null } });

      await publish('shadow_orders', 5);
      const shadowOnly = compareSnapshots(config, before, await takeSnapshot(config));
      expect(shadowOnly.ok).toBe(true);
      expect(shadowOnly.findings.find((finding) => finding.side === 'shadow')).toMatchObject({ before: 0, after: 5, changed: true });

      await publish('orders', 1);
      const leaked = compareSnapshots(config, before, await takeSnapshot(config));
      expect(leaked).toMatchObject({ ok: false, productionChanges: 1 });
    } finally {
      await model.close();
    }
  }, 60_000);
});
