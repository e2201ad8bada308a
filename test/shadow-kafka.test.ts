import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { Consumer, EachMessagePayload, KafkaMessage, Message, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from 'kafkajs';
import { createTag, currentTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { shadowConsumer, shadowProducer } from '@dyeline/shadow/kafkajs';

// No Kafka broker can run here. These tests drive the adapters with the exact
// shapes kafkajs produces: records go through kafkajs' own wire encoder and
// decoder (record v0 with headers), as a broker round trip would.
const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder') as new () => { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => { readVarInt(): number };
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: object) => InstanceType<typeof Encoder>;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (d: InstanceType<typeof Decoder>, ctx: object) => KafkaMessage;
void Encoder;

function wireRoundTrip(message: Message): KafkaMessage {
  const encoded = encodeRecord({ key: message.key ?? null, value: message.value, headers: message.headers });
  const decoder = new Decoder(encoded.buffer);
  decoder.readVarInt(); // record length
  return decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0' });
}

/** A kafkajs Producer whose network side records what would be sent. */
function recordingProducer(): { producer: Producer; sent: ProducerRecord[] } {
  const kafka = new Kafka({ brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING });
  const real = kafka.producer();
  const sent: ProducerRecord[] = [];
  const meta = (topic: string): RecordMetadata[] => [{ topicName: topic, partition: 0, errorCode: 0 }];
  const producer: Producer = {
    ...real,
    send: async (record: ProducerRecord) => {
      sent.push(record);
      return meta(record.topic);
    },
    sendBatch: async (batch: ProducerBatch) => {
      for (const tm of batch.topicMessages ?? []) sent.push({ topic: tm.topic, messages: tm.messages });
      return [];
    },
    transaction: async () => ({
      send: async (record: ProducerRecord) => {
        sent.push(record);
        return meta(record.topic);
      },
      sendBatch: async () => [],
      sendOffsets: async () => undefined,
      commit: async () => undefined,
      abort: async () => undefined,
      isActive: () => true,
    }),
  };
  return { producer, sent };
}

const SHADOW = createTag({ shadow: true, color: 'feature-42' });

describe('kafkajs producer wrapper (no broker: records checked as kafkajs would encode them)', () => {
  it('stamps the tag into Buffer headers and renames topics under shadow', async () => {
    const { producer, sent } = recordingProducer();
    const wrapped = shadowProducer(producer);
    const original: ProducerRecord = { topic: 'orders', messages: [{ value: 'a', headers: { trace: 'keep' } }] };
    await runWithTag(SHADOW, () => wrapped.send(original));
    await runWithTag(createTag({ color: 'blue' }), () => wrapped.send({ topic: 'orders', messages: [{ value: 'b' }] }));
    await wrapped.send({ topic: 'orders', messages: [{ value: 'c' }] });
    expect(sent.map((r) => r.topic)).toEqual(['shadow_orders', 'orders', 'orders']);
    expect(original.topic).toBe('orders'); // the caller's record is not mutated
    expect(original.messages[0]!.headers).toEqual({ trace: 'keep' });
    const decoded = wireRoundTrip(sent[0]!.messages[0]!);
    expect(Buffer.isBuffer(decoded.headers!['x-shadow'])).toBe(true);
    expect(Object.fromEntries(Object.entries(decoded.headers!).map(([k, v]) => [k, String(v)]))).toEqual({
      trace: 'keep', 'x-color': 'feature-42', 'x-shadow': '1',
    });
    expect(sent[2]!.messages[0]!.headers).toEqual({});
  });

  it('sendBatch and transactions are wrapped too', async () => {
    const { producer, sent } = recordingProducer();
    const wrapped = shadowProducer(producer);
    await runWithTag(SHADOW, async () => {
      await wrapped.sendBatch({ topicMessages: [{ topic: 'a', messages: [{ value: '1' }] }, { topic: 'b', messages: [{ value: '2' }] }] });
      const tx = await wrapped.transaction();
      await tx.send({ topic: 'c', messages: [{ value: '3' }] });
    });
    expect(sent.map((r) => r.topic)).toEqual(['shadow_a', 'shadow_b', 'shadow_c']);
  });

  it('a production send to a shadow topic is refused (rejected promise), nothing sent', async () => {
    const { producer, sent } = recordingProducer();
    const error = await shadowProducer(producer).send({ topic: 'shadow_orders', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(isShadowIsolationError(error)).toBe(true);
    expect(sent).toHaveLength(0);
  });
});

describe('kafkajs consumer wrapper (no broker: payloads built from kafkajs-decoded records)', () => {
  function wrappedConsumer() {
    const kafka = new Kafka({ brokers: ['127.0.0.1:9'], logLevel: logLevel.NOTHING });
    const real = kafka.consumer({ groupId: 'g' });
    const subscriptions: unknown[] = [];
    let runConfig: Parameters<Consumer['run']>[0];
    const consumer: Consumer = {
      ...real,
      subscribe: async (s) => void subscriptions.push(s),
      run: async (config) => void (runConfig = config),
    };
    return { consumer: shadowConsumer(consumer), subscriptions, config: () => runConfig! };
  }
  const payload = (topic: string, message: KafkaMessage): EachMessagePayload => ({
    topic, partition: 0, message, heartbeat: async () => undefined, pause: () => () => undefined,
  });

  it('subscribes the shadow twin of each named topic', async () => {
    const { consumer, subscriptions } = wrappedConsumer();
    await consumer.subscribe({ topics: ['orders', /^audit-/], fromBeginning: true });
    await consumer.subscribe({ topic: 'single' });
    expect(subscriptions).toEqual([
      { topics: ['orders', 'shadow_orders', /^audit-/], fromBeginning: true },
      { topics: ['single', 'shadow_single'] },
    ]);
  });

  it('eachMessage runs with the message tag; shadow topics force shadow; bad headers are dropped', async () => {
    const { consumer, config } = wrappedConsumer();
    const seen: Array<Tag | undefined> = [];
    await consumer.run({ eachMessage: async () => void seen.push(currentTag()) });
    const { producer, sent } = recordingProducer();
    await runWithTag(createTag({ color: 'blue', user: 'u1' }), () => shadowProducer(producer).send({ topic: 't', messages: [{ value: 'v' }] }));
    const each = config()!.eachMessage!;
    await each(payload('t', wireRoundTrip(sent[0]!.messages[0]!)));
    await each(payload('shadow_t', wireRoundTrip({ value: 'no headers' })));
    await each(payload('t', wireRoundTrip({ value: 'bad', headers: { 'x-color': 'bad value!', 'x-shadow': 'perhaps' } })));
    await each(payload('t', wireRoundTrip({ value: 'dup', headers: { 'x-color': ['one', 'two'] } })));
    expect(seen.map((t) => [t?.color, t?.user, t?.shadow])).toEqual([
      ['blue', 'u1', false],
      [undefined, undefined, true],
      [undefined, undefined, false],
      [undefined, undefined, false], // "one, two" is not a valid color: dropped
    ]);
  });
});
