import { DEFAULT_DEADLINE_HEADER, EMPTY_TAG, createCodec, currentContext, formatDeadlineHeader, isDyelineError, parseDeadlineHeader } from '@dyeline/core';
import type { CarrierAccessor, Codec, CodecOptions, DyelineError, RequestContext } from '@dyeline/core';
import { PropagationError } from './propagation-error.js';

/** Options shared by every outbound propagation (fetch, undici, node:http, axios). */
export interface PropagationOptions extends CodecOptions {
  /** Write the tag over headers the caller set explicitly. Default `false`: the caller's header wins. */
  overwrite?: boolean;
  /**
   * Header that carries the remaining time of `currentDeadline()` in whole ms (floored), so the
   * next hop stops when this one must. Default `x-dyeline-deadline-ms`; `false` writes none. A
   * value the caller set is kept only when it is shorter (unless `overwrite`).
   */
  deadlineHeader?: string | false;
  /** Receives every problem (dropped values, headers already sent). Must not throw; errors from it are swallowed. */
  onError?: (error: DyelineError) => void;
}

/** A propagation configured once; clients call {@link Propagator.inject} per call. @internal */
export interface Propagator {
  readonly codec: Codec;
  /**
   * Writes the current tag and deadline onto `carrier`. Returns false (and
   * writes nothing) when there is neither. Never throws: failures go to `onError`.
   */
  inject<C>(carrier: C, accessor: CarrierAccessor<C>): boolean;
  /** Writes the tag and remaining deadline of `context` onto `carrier`; never throws. */
  write<C>(context: RequestContext, carrier: C, accessor: CarrierAccessor<C>): void;
  /** Reports a failure through `onError` (swallowing what the hook throws). */
  report(error: DyelineError): void;
  /** The context to write now — it has a tag or a deadline — or `undefined` when there is nothing to write. */
  pending(): RequestContext | undefined;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * Validates `options` once and returns the per-call injector.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createPropagator(client: string, options: PropagationOptions = {}): Propagator {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${client}: options must be an object`);
  const { overwrite = false, onError, deadlineHeader = DEFAULT_DEADLINE_HEADER } = options;
  if (typeof overwrite !== 'boolean') throw new TypeError(`${client}: options.overwrite must be a boolean`);
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError(`${client}: options.onError must be a function`);
  if (deadlineHeader !== false && (typeof deadlineHeader !== 'string' || !HEADER_NAME.test(deadlineHeader))) {
    throw new TypeError(`${client}: options.deadlineHeader must be a lowercase header name or false`);
  }
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

  const pending = (): RequestContext | undefined => {
    const context = currentContext();
    if (context === undefined) return undefined;
    if (context.tag === EMPTY_TAG && (context.deadline === undefined || deadlineHeader === false)) return undefined;
    return context;
  };

  function write<C>(context: RequestContext, carrier: C, accessor: CarrierAccessor<C>): void {
    try {
      if (context.tag !== EMPTY_TAG) codec.inject(context.tag, carrier, accessor, injectOptions);
      if (deadlineHeader !== false && context.deadline !== undefined) {
        const ours = formatDeadlineHeader(context.deadline);
        // A forwarded header may carry an older, longer budget: the shorter one is the truth.
        const theirs = overwrite ? undefined : accessor.get(carrier, deadlineHeader);
        const kept = theirs === undefined ? undefined : parseDeadlineHeader(theirs);
        if (kept === undefined || kept > Number(ours)) accessor.set(carrier, deadlineHeader, ours);
      }
    } catch (error) {
      report(isDyelineError(error) ? error : new PropagationError(client, 'could not write the tag', { cause: error }));
    }
  }

  return {
    codec,
    report,
    pending,
    write,
    inject(carrier, accessor) {
      const context = pending();
      if (context === undefined) return false;
      write(context, carrier, accessor);
      return true;
    },
  };
}
