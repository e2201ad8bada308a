import { currentTag } from '@dyeline/core';
import type { Channel, ConsumeMessage, Options, Replies } from 'amqplib';
import { createMessageTagger } from './message-tag.js';
import type { MessageTagger, MessageTaggerOptions } from './message-tag.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** Options of {@link shadowChannel}; checked once. */
export interface ShadowChannelOptions<C extends Channel = Channel> {
  /** The amqplib channel (or confirm channel) to wrap. Not modified. */
  channel: C;
  /** Shadow names and guards. Default: `createShadowResolver()` (`shadow_` prefix). */
  resolver?: ShadowResolver;
  /** Header names and validation of the tag in messages, or a tagger shared with other adapters. */
  tagger?: MessageTagger | MessageTaggerOptions;
  /**
   * Lane routing for queues asserted through this channel: colored messages
   * sent with `sendToQueue` go to the lane consumer of their color when one is
   * live, else to the base queue (broker-side, see README). Default true.
   */
  lanes?: boolean;
  /** Consumers also consume the shadow twin of their queue, with the shadow tag forced. Default true. */
  consumeShadow?: boolean;
}

/** `consume()` options of a wrapped channel: amqplib's plus the lane color. */
export interface ShadowConsumeOptions extends Options.Consume {
  /** Consume only messages of this color (a lane consumer). Absent: a base consumer. */
  color?: string;
}

/** The wrapped channel: the channel's own type, with `consume` taking a lane `color`. */
export type ShadowChannel<C extends Channel = Channel> = Omit<C, 'consume'> & {
  consume(queue: string, onMessage: (msg: ConsumeMessage | null) => void, options?: ShadowConsumeOptions): Promise<Replies.Consume>;
};

/** The lane exchange of a queue: direct, keyed by color, unroutable messages to the fallback. */
export const laneExchangeName = (queue: string): string => `${queue}.dyeline-lanes`;
/** The fallback of a lane exchange: fanout into the base queue. */
export const laneFallbackName = (queue: string): string => `${queue}.dyeline-fallback`;
/** The queue of a lane consumer: exclusive and auto-deleted, so its binding dies with it. */
export const laneQueueName = (queue: string, color: string): string => `${queue}.lane.${color}`;

type AnyFn = (...args: unknown[]) => unknown;
const COLOR = /^[A-Za-z0-9._~:@/+-]{1,128}$/;

/**
 * Wraps an amqplib channel: `publish`/`sendToQueue` stamp the current tag
 * into message headers and send shadow traffic to shadow exchanges and
 * queues; `consume` restores the tag for the handler (AsyncLocalStorage) and,
 * with `{ color }`, makes a lane consumer. Queue and exchange names given to
 * the other methods are placed the same way (shadow name under shadow, reverse
 * guard in production). Returns the channel's own type, with `consume` taking a lane `color`.
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function shadowChannel<C extends Channel>(options: ShadowChannelOptions<C>): ShadowChannel<C> {
  if (typeof options !== 'object' || options === null) throw new TypeError('shadowChannel: options must be an object');
  const channel = options.channel;
  if (typeof channel?.publish !== 'function' || typeof channel.consume !== 'function') {
    throw new TypeError('shadowChannel: option "channel" must be an amqplib channel');
  }
  const resolver = options.resolver ?? createShadowResolver();
  if (typeof resolver.name !== 'function') throw new TypeError('shadowChannel: option "resolver" must be a ShadowResolver');
  const tagger = isTagger(options.tagger) ? options.tagger : createMessageTagger(options.tagger);
  const lanes = options.lanes ?? true;
  const consumeShadow = options.consumeShadow ?? true;
  // Placed queue names whose lane exchanges this wrapper declared.
  const laneReady = new Set<string>();
  // Production queues whose shadow twin this wrapper declared.
  const queueOptions = new Map<string, Options.AssertQueue | undefined>();
  const shadowConsumers = new Map<string, string[]>();
  const raw = channel as unknown as Record<string | symbol, AnyFn>;

  const stamp = (publishOptions: Options.Publish | undefined): Options.Publish => {
    const out: Options.Publish = { ...publishOptions, headers: { ...publishOptions?.headers } };
    tagger.stamp(out.headers as Record<string, unknown>, currentTag());
    return out;
  };
  const place = (name: string, kind: string): string => (name === '' ? name : resolver.name(name, kind));

  async function declareLanes(queue: string): Promise<void> {
    if (laneReady.has(queue)) return;
    await channel.assertExchange(laneFallbackName(queue), 'fanout', { durable: true });
    await channel.bindQueue(queue, laneFallbackName(queue), '');
    await channel.assertExchange(laneExchangeName(queue), 'direct', { durable: true, alternateExchange: laneFallbackName(queue) });
    laneReady.add(queue);
  }

  async function consumeOne(queue: string, onMessage: (msg: ConsumeMessage | null) => void, opts: ShadowConsumeOptions | undefined, shadow: boolean): Promise<Replies.Consume> {
    const { color, ...consumeOptions } = opts ?? {};
    let source = queue;
    if (color !== undefined) {
      if (lanes) await declareLanes(queue);
      source = laneQueueName(queue, color);
      await channel.assertQueue(source, { exclusive: true, autoDelete: true });
      await channel.bindQueue(source, laneExchangeName(queue), color);
    }
    return channel.consume(source, (msg) => {
      if (msg === null) return onMessage(msg);
      tagger.run(msg.properties.headers as Record<string, unknown> | undefined, () => onMessage(msg), { shadow });
    }, consumeOptions);
  }

  const overrides: Record<string | symbol, unknown> = Object.create(null) as Record<string | symbol, unknown>;
  overrides.publish = (exchange: string, routingKey: string, content: Buffer, publishOptions?: Options.Publish, ...rest: unknown[]) => {
    // The default exchange routes to the queue named by the routing key.
    if (exchange === '') return (overrides.sendToQueue as AnyFn)(routingKey, content, publishOptions, ...rest);
    return raw.publish!.call(channel, place(exchange, 'exchange'), routingKey, content, stamp(publishOptions), ...rest);
  };
  overrides.sendToQueue = (queue: string, content: Buffer, publishOptions?: Options.Publish, ...rest: unknown[]) => {
    const placed = place(queue, 'queue');
    const color = currentTag()?.color;
    if (color !== undefined && laneReady.has(placed)) {
      return raw.publish!.call(channel, laneExchangeName(placed), color, content, stamp(publishOptions), ...rest);
    }
    return raw.sendToQueue!.call(channel, placed, content, stamp(publishOptions), ...rest);
  };
  overrides.assertQueue = async (queue: string, assertOptions?: Options.AssertQueue) => {
    if (queue === undefined || queue === '') return channel.assertQueue(queue, assertOptions);
    const placed = place(queue, 'queue');
    const reply = await channel.assertQueue(placed, assertOptions);
    if (lanes) await declareLanes(placed);
    // Production declares the shadow twin too, so shadow producers and consumers have it.
    if (!resolver.isShadow() && !resolver.isShadowName(queue)) {
      const twin = resolver.shadowName(queue);
      await channel.assertQueue(twin, assertOptions);
      if (lanes) await declareLanes(twin);
      queueOptions.set(queue, assertOptions);
    }
    return reply;
  };
  overrides.assertExchange = async (exchange: string, type: string, exchangeOptions?: Options.AssertExchange) => {
    const reply = await channel.assertExchange(place(exchange, 'exchange'), type, exchangeOptions);
    if (!resolver.isShadow() && !resolver.isShadowName(exchange) && exchange !== '') {
      await channel.assertExchange(resolver.shadowName(exchange), type, exchangeOptions);
    }
    return reply;
  };
  overrides.bindQueue = async (queue: string, source: string, pattern: string, args?: unknown) => {
    const reply = await channel.bindQueue(place(queue, 'queue'), place(source, 'exchange'), pattern, args);
    if (!resolver.isShadow() && !resolver.isShadowName(queue) && source !== '') {
      await channel.bindQueue(resolver.shadowName(queue), resolver.shadowName(source), pattern, args);
    }
    return reply;
  };
  overrides.consume = async (queue: string, onMessage: (msg: ConsumeMessage | null) => void, opts?: ShadowConsumeOptions) => {
    if (typeof onMessage !== 'function') throw new TypeError('consume: onMessage must be a function');
    if (opts?.color !== undefined && !COLOR.test(opts.color)) throw new TypeError('consume: option "color" must be a valid color');
    const placed = place(queue, 'queue');
    const shadowOnly = resolver.isShadow() || resolver.isShadowName(queue);
    const reply = await consumeOne(placed, onMessage, opts, shadowOnly);
    // The twin is consumed when this wrapper declared it (assertQueue): declaring
    // it here with guessed options could fail and close the channel.
    if (consumeShadow && !shadowOnly && queueOptions.has(queue)) {
      const twin = resolver.shadowName(queue);
      const { consumerTag: _ignored, ...twinOptions } = opts ?? {};
      const twinReply = await consumeOne(twin, onMessage, twinOptions, true);
      shadowConsumers.set(reply.consumerTag, [twinReply.consumerTag]);
    }
    return reply;
  };
  overrides.cancel = async (consumerTag: string) => {
    const twins = shadowConsumers.get(consumerTag) ?? [];
    shadowConsumers.delete(consumerTag);
    for (const tag of twins) await channel.cancel(tag);
    return channel.cancel(consumerTag);
  };
  for (const method of ['checkQueue', 'deleteQueue', 'purgeQueue', 'get']) {
    overrides[method] = (queue: string, ...rest: unknown[]) => raw[method]!.call(channel, place(queue, 'queue'), ...rest);
  }
  for (const method of ['checkExchange', 'deleteExchange']) {
    overrides[method] = (exchange: string, ...rest: unknown[]) => raw[method]!.call(channel, place(exchange, 'exchange'), ...rest);
  }
  overrides.unbindQueue = (queue: string, source: string, ...rest: unknown[]) =>
    raw.unbindQueue!.call(channel, place(queue, 'queue'), place(source, 'exchange'), ...rest);

  return new Proxy(channel as ShadowChannel<C>, {
    get(target, prop) {
      const override = overrides[prop];
      if (override !== undefined) return override;
      const value = (target as unknown as Record<string | symbol, unknown>)[prop];
      return typeof value === 'function' ? (value as AnyFn).bind(target) : value;
    },
  });
}

function isTagger(value: unknown): value is MessageTagger {
  return typeof value === 'object' && value !== null && typeof (value as MessageTagger).stamp === 'function' && typeof (value as MessageTagger).run === 'function';
}
