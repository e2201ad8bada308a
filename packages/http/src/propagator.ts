import { EMPTY_TAG, createCodec, currentTag, isDyelineError } from '@dyeline/core';
import type { CarrierAccessor, Codec, CodecOptions, DyelineError, Tag } from '@dyeline/core';
import { PropagationError } from './propagation-error.js';

/** Options shared by every outbound propagation (fetch, undici, node:http, axios). */
export interface PropagationOptions extends CodecOptions {
  /** Write the tag over headers the caller set explicitly. Default `false`: the caller's header wins. */
  overwrite?: boolean;
  /** Receives every problem (dropped values, headers already sent). Must not throw; errors from it are swallowed. */
  onError?: (error: DyelineError) => void;
}

/** A propagation configured once; clients call {@link Propagator.inject} per call. @internal */
export interface Propagator {
  readonly codec: Codec;
  /**
   * Writes the current tag onto `carrier`. Returns false (and writes nothing)
   * outside any tag. Never throws: failures go to `onError`.
   */
  inject<C>(carrier: C, accessor: CarrierAccessor<C>): boolean;
  /** Writes `tag` onto `carrier`; never throws. */
  write<C>(tag: Tag, carrier: C, accessor: CarrierAccessor<C>): void;
  /** Reports a failure through `onError` (swallowing what the hook throws). */
  report(error: DyelineError): void;
  /** The tag to write now, or `undefined` when there is nothing to write. */
  tag(): Tag | undefined;
}

/**
 * Validates `options` once and returns the per-call injector.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createPropagator(client: string, options: PropagationOptions = {}): Propagator {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${client}: options must be an object`);
  const { overwrite = false, onError } = options;
  if (typeof overwrite !== 'boolean') throw new TypeError(`${client}: options.overwrite must be a boolean`);
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError(`${client}: options.onError must be a function`);
  const report = (error: DyelineError): void => {
    if (onError === undefined) return;
    try {
      onError(error);
    } catch {
      // Observing must never break the call.
    }
  };
  const userOnDrop = options.onDrop;
  const codec = createCodec({
    ...options,
    onDrop: (error) => {
      userOnDrop?.(error);
      report(error);
    },
  });
  const injectOptions = { overwrite };

  const tag = (): Tag | undefined => {
    const current = currentTag();
    return current === undefined || current === EMPTY_TAG ? undefined : current;
  };

  function write<C>(current: Tag, carrier: C, accessor: CarrierAccessor<C>): void {
    try {
      codec.inject(current, carrier, accessor, injectOptions);
    } catch (error) {
      report(isDyelineError(error) ? error : new PropagationError(client, 'could not write the tag', { cause: error }));
    }
  }

  return {
    codec,
    report,
    tag,
    write,
    inject(carrier, accessor) {
      const current = tag();
      if (current === undefined) return false;
      write(current, carrier, accessor);
      return true;
    },
  };
}
