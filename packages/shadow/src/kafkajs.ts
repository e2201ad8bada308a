import { EMPTY_TAG, runWithTag } from '@dyeline/core';
import type {
  Consumer,
  ConsumerRunConfig,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  KafkaMessage,
  Message,
  Producer,
  ProducerBatch,
  ProducerRecord,
  Transaction,
} from 'kafkajs';
import { createMessageTagger } from './message-tag.js';
import type { MessageTagger, MessageTaggerOptions } from './message-tag.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** Options of {@link shadowProducer} and {@link shadowConsumer}; checked once. */
export interface ShadowKafkaOptions {
  /** Shadow names and guards. Default: `createShadowResolver()` (`shadow_` prefix). */
  resolver?: ShadowResolver;
  /** Tag header names and validation (values are written as Buffers), or a tagger shared with other adapters. */
  tagger?: MessageTagger | MessageTaggerOptions;
}

type AnyFn = (...args: unknown[]) => unknown;

function setup(options: ShadowKafkaOptions | undefined, what: string): { resolver: ShadowResolver; tagger: MessageTagger } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError(`${what}: options must be an object`);
  const resolver = options?.resolver ?? createShadowResolver();
  if (typeof resolver.name !== 'function') throw new TypeError(`${what}: option "resolver" must be a ShadowResolver`);
  const t = options?.tagger;
  const tagger = typeof t === 'object' && t !== null && typeof (t as MessageTagger).stamp === 'function'
    ? (t as MessageTagger)
    : createMessageTagger({ ...(t as MessageTaggerOptions | undefined), buffers: true });
  return { resolver, tagger };
}

function proxy<T extends object>(target: T, overrides: Record<string | symbol, unknown>): T {
  return new Proxy(target, {
    get(object, prop) {
      const override = overrides[prop];
      if (override !== undefined) return override;
      const value = (object as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? (value as AnyFn).bind(object) : value;
    },
  });
}

/**
 * Wraps a kafkajs `Producer`: `send`/`sendBatch` (and those of its
 * transactions) stamp the current tag into each message's headers (Buffer
 * values) and, under shadow, send to the shadow topic (`shadow_<topic>`); a
 * production send to a shadow topic meets the reverse guard. The caller's
 * records are not mutated.
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function shadowProducer(producer: Producer, options?: ShadowKafkaOptions): Producer {
  if (typeof producer?.send !== 'function' || typeof producer.sendBatch !== 'function') {
    throw new TypeError('shadowProducer: producer must be a kafkajs Producer');
  }
  const { resolver, tagger } = setup(options, 'shadowProducer');
  const stampAll = (messages: Message[]): Message[] =>
    messages.map((message) => ({ ...message, headers: tagger.stamp({ ...message.headers }) as Message['headers'] }));
  const record = (r: ProducerRecord): ProducerRecord => ({ ...r, topic: resolver.name(r.topic, 'topic'), messages: stampAll(r.messages) });
  const batch = (b: ProducerBatch): ProducerBatch => ({
    ...b,
    topicMessages: b.topicMessages?.map((tm) => ({ ...tm, topic: resolver.name(tm.topic, 'topic'), messages: stampAll(tm.messages) })),
  });
  // Names are decided synchronously, before kafkajs queues anything; a guard
  // failure becomes a rejected promise, as kafkajs reports its own errors.
  const senders = (sender: Producer | Transaction): Record<string | symbol, unknown> => ({
    send: (r: ProducerRecord) => {
      try {
        return sender.send(record(r));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
    sendBatch: (b: ProducerBatch) => {
      try {
        return sender.sendBatch(batch(b));
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  });
  const overrides = senders(producer);
  overrides.transaction = async () => {
    const transaction = await producer.transaction();
    return proxy(transaction, senders(transaction));
  };
  return proxy(producer, overrides);
}

/**
 * Runs `fn` with the tag of a Kafka message restored; messages of a shadow
 * topic always run as shadow. For `eachBatch` handlers, per message.
 */
export function runWithMessageTag<R>(tagger: MessageTagger, resolver: ShadowResolver, topic: string, message: KafkaMessage, fn: () => R): R {
  return tagger.run(message.headers as Record<string, unknown> | undefined, fn, { shadow: resolver.isShadowName(topic) });
}

/**
 * Wraps a kafkajs `Consumer`: `subscribe` also subscribes the shadow twin of
 * each string topic (not of RegExp topics), and `run` wraps `eachMessage` so
 * the handler runs with the message's tag restored (a shadow topic forces
 * shadow). An `eachBatch` handler runs with a shadow-only tag for shadow
 * topics; use {@link runWithMessageTag} per message inside it.
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function shadowConsumer(consumer: Consumer, options?: ShadowKafkaOptions & { /** Subscribe shadow twins. Default true. */ consumeShadow?: boolean }): Consumer {
  if (typeof consumer?.run !== 'function' || typeof consumer.subscribe !== 'function') {
    throw new TypeError('shadowConsumer: consumer must be a kafkajs Consumer');
  }
  const { resolver, tagger } = setup(options, 'shadowConsumer');
  const twins = options?.consumeShadow !== false;
  const withTwins = (topics: (string | RegExp)[]): (string | RegExp)[] =>
    topics.flatMap((t) => (typeof t === 'string' && twins && !resolver.isShadowName(t) ? [t, resolver.shadowName(t)] : [t]));
  const shadowOnly = EMPTY_TAG.with({ shadow: true });
  return proxy(consumer, {
    subscribe: (subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic) => {
      if ('topics' in subscription) return consumer.subscribe({ ...subscription, topics: withTwins(subscription.topics) });
      const { topic, ...rest } = subscription;
      return consumer.subscribe({ ...rest, topics: withTwins([topic]) });
    },
    run: (config?: ConsumerRunConfig) => {
      if (config === undefined) return consumer.run();
      const { eachMessage, eachBatch } = config;
      return consumer.run({
        ...config,
        eachMessage: eachMessage && ((payload: EachMessagePayload) =>
          runWithMessageTag(tagger, resolver, payload.topic, payload.message, () => eachMessage(payload))),
        eachBatch: eachBatch && ((payload: EachBatchPayload) =>
          resolver.isShadowName(payload.batch.topic) ? runWithTag(shadowOnly, () => eachBatch(payload)) : eachBatch(payload)),
      });
    },
  });
}
