import { InterceptingCall } from '@grpc/grpc-js';
import type { Interceptor, InterceptorOptions, Metadata } from '@grpc/grpc-js';
import { InvalidTagError, createCodec, currentContext } from '@dyeline/core';
import type { CodecOptions, DyelineError } from '@dyeline/core';
import { metadataAccessor } from './metadata-accessor.js';

/** Options of {@link dyelineClientInterceptor}: the core codec options plus reporting. */
export interface DyelineClientOptions extends CodecOptions {
  /**
   * Set each call's deadline from the current request's deadline when the
   * call has none or a later one. Default true.
   */
  deadline?: boolean;
  /** Reports every tag value that was not written. Must not throw (errors from it are swallowed). */
  onError?: (error: DyelineError) => void;
}

/** `Deadline` of grpc-js: a Date or ms since the epoch; Infinity means none. */
function epochMs(deadline: Date | number | undefined): number {
  if (deadline === undefined) return Infinity;
  return typeof deadline === 'number' ? deadline : deadline.getTime();
}

/**
 * A grpc-js client interceptor that writes the current tag into the call's
 * metadata (with the same codec and presets as HTTP) and shortens the call's
 * deadline to the current request's. A call made outside any request gets
 * nothing added. Writing never throws into the call: what cannot be written
 * is reported through `onError`.
 *
 * Add it to a client with `new Client(address, credentials, { interceptors:
 * [dyelineClientInterceptor()] })`, or use {@link withDyeline}.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineClientInterceptor(options: DyelineClientOptions = {}): Interceptor {
  if (typeof options !== 'object' || options === null) throw new TypeError('dyelineClientInterceptor: options must be an object');
  const { deadline: useDeadline = true, onError, ...codecOptions } = options;
  if (typeof useDeadline !== 'boolean') throw new TypeError('dyelineClientInterceptor: options.deadline must be a boolean');
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('dyelineClientInterceptor: options.onError must be a function');
  }
  const report = (error: DyelineError): void => {
    if (onError === undefined) return;
    try {
      onError(error);
    } catch {
      // Observing must never break a call.
    }
  };
  const userOnDrop = codecOptions.onDrop;
  const codec = createCodec({
    ...codecOptions,
    onDrop: (error) => {
      if (userOnDrop !== undefined) {
        try {
          userOnDrop(error);
        } catch {
          // Same rule as onError.
        }
      }
      report(error);
    },
  });

  return (callOptions: InterceptorOptions, nextCall) => {
    const context = currentContext();
    if (context === undefined) return new InterceptingCall(nextCall(callOptions));
    let effective = callOptions;
    if (useDeadline && context.deadline !== undefined) {
      // A callee never gets more time than its caller has left. grpc-timeout
      // travels in whole milliseconds rounded up (and Date.now() is floored):
      // start a millisecond short so rounding cannot hand the callee more.
      const ours = Date.now() + Math.floor(context.deadline.remaining()) - 1;
      if (ours < epochMs(callOptions.deadline)) effective = { ...callOptions, deadline: ours };
    }
    const tag = context.tag;
    if (tag.isEmpty) return new InterceptingCall(nextCall(effective));
    return new InterceptingCall(nextCall(effective), {
      start(metadata: Metadata, listener, next) {
        try {
          codec.inject(tag, metadata, metadataAccessor);
        } catch (cause) {
          report(new InvalidTagError('malformed', 'metadata', 'grpc-js refused a tag entry; call sent without it', { cause }));
        }
        next(metadata, listener);
      },
    });
  };
}
