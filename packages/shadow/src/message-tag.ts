import { EMPTY_TAG, createCodec, currentTag, runWithTag } from '@dyeline/core';
import type { CarrierAccessor, Codec, CodecOptions, InvalidTagError, Tag } from '@dyeline/core';

/** Message headers as queue clients hold them: AMQP tables, Kafka headers (Buffers), BullMQ job data. */
export type MessageHeaders = Record<string, unknown>;

/** Options of {@link createMessageTagger}; checked once. */
export interface MessageTaggerOptions {
  /**
   * Wire names and value limits (core's codec options). Default: dyeline's
   * dedicated headers (`x-color`, `x-user`, `x-shadow`) and baggage reading;
   * messages are written with dedicated headers only.
   */
  codec?: CodecOptions;
  /** Called with each header value dropped as invalid (malformed, too long, bad charset). Must not throw. */
  onDrop?: (error: InvalidTagError) => void;
  /** Write values as Buffers (Kafka) instead of strings (AMQP, BullMQ). Default false. */
  buffers?: boolean;
}

/** Writes the tag into message headers and reads it back for the consumer. */
export interface MessageTagger {
  /** Writes `tag` (default: the current tag) into `headers`; an empty tag writes nothing. Returns `headers`. */
  stamp<H extends MessageHeaders>(headers: H, tag?: Tag): H;
  /**
   * The tag a message carries, validated by the codec: invalid values are
   * dropped and reported through `onDrop`; never throws. No headers → the empty tag.
   */
  read(headers: MessageHeaders | undefined | null): Tag;
  /** Runs `fn` with the message's tag current (AsyncLocalStorage), `force` patched over it. */
  run<R>(headers: MessageHeaders | undefined | null, fn: () => R, force?: { shadow?: boolean }): R;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map(text).filter((v): v is string => v !== undefined);
    return parts.length === 0 ? undefined : parts.join(', ');
  }
  // Objects (AMQP field tables, a forged structure in BullMQ data) are not tag values.
  return undefined;
}

function accessor(buffers: boolean): CarrierAccessor<MessageHeaders> {
  return {
    get(headers, name) {
      const direct = headers[name];
      if (direct !== undefined) return text(direct);
      for (const key of Object.keys(headers)) {
        if (key.length === name.length && key.toLowerCase() === name) return text(headers[key]);
      }
      return undefined;
    },
    set(headers, name, value) {
      headers[name] = buffers ? Buffer.from(value, 'utf8') : value;
    },
  };
}

/**
 * Creates the tag stamper/reader shared by the queue adapters (amqplib,
 * BullMQ, kafkajs). Header values coming off a queue are validated like any
 * inbound header; invalid ones are dropped and reported, never thrown.
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function createMessageTagger(options: MessageTaggerOptions = {}): MessageTagger {
  if (typeof options !== 'object' || options === null) throw new TypeError('createMessageTagger: options must be an object');
  if (options.onDrop !== undefined && typeof options.onDrop !== 'function') {
    throw new TypeError('createMessageTagger: option "onDrop" must be a function');
  }
  const onDrop = options.onDrop;
  const codec: Codec = createCodec({
    write: { baggage: false },
    ...options.codec,
    onDrop(error) {
      try {
        options.codec?.onDrop?.(error);
        onDrop?.(error);
      } catch {
        // A report hook must not fail the consumer.
      }
    },
  });
  const access = accessor(options.buffers === true);

  const read = (headers: MessageHeaders | undefined | null): Tag => {
    if (headers === undefined || headers === null || typeof headers !== 'object') return EMPTY_TAG;
    return codec.extract(headers, access).tag;
  };
  return {
    stamp(headers, tag = currentTag()) {
      if (tag !== undefined && !tag.isEmpty) codec.inject(tag, headers, access, { overwrite: true });
      return headers;
    },
    read,
    run(headers, fn, force) {
      let tag = read(headers);
      if (force?.shadow === true && !tag.shadow) tag = tag.with({ shadow: true });
      return runWithTag(tag, fn);
    },
  };
}
