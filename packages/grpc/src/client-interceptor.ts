import type { InterceptingCall, Interceptor, InterceptorOptions, NextCall } from '@grpc/grpc-js';
import { createCodec, currentContext } from '@dyeline/core';
import type { CodecOptions, DyelineError, InvalidTagError, Tag } from '@dyeline/core';
import { TaggedCall } from './tagged-call.js';
import { entryWriter } from './tag-entries.js';

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
 * The grpc-js call deadline for a call made now under a request deadline
 * with `remainingMs` left, or `undefined` when the call's own is earlier.
 */
export function callDeadline(remainingMs: number, own: Date | number | undefined): number | undefined {
  // A callee never gets more time than its caller has left. grpc-timeout
  // travels in whole milliseconds rounded up (and Date.now() is floored):
  // start a millisecond short so rounding cannot hand the callee more.
  const ours = Date.now() + Math.floor(remainingMs) - 1;
  return ours < epochMs(own) ? ours : undefined;
}

/** True when the dedicated headers (own or a preset's) can carry every tag field, so baggage adds nothing. */
function headersCarryEveryField(options: CodecOptions): boolean {
  if (options.write?.headers === false) return false;
  for (const field of ['color', 'user', 'shadow'] as const) {
    if (options.headers?.[field] !== false) continue;
    const presetCarries = options.write?.presets !== false && (options.presets ?? []).some((preset) => {
      const names = preset.headers?.[field];
      return names !== undefined && names !== false && names.length > 0;
    });
    if (!presetCarries) return false;
  }
  return true;
}

/**
 * A grpc-js client interceptor that writes the current tag into the call's
 * metadata (with the same codec and presets as HTTP) and shortens the call's
 * deadline to the current request's. A call made outside any request gets
 * nothing added. Writing never throws into the call: what cannot be written
 * is reported through `onError`, once per tag.
 *
 * On gRPC the W3C `baggage` entry is written only when it carries something
 * the dedicated entries do not: members of the incoming request's baggage
 * that dyeline passes through, or `write: { baggage: true }` (or dedicated
 * headers turned off). Each entry costs the HTTP/2 stream a header on both
 * sides; the server reads the tag from either.
 *
 * The entries of a tag are computed once per tag (tags are immutable), so
 * the N calls a request makes serialise its tag once.
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
  const onDrop = (error: InvalidTagError): void => {
    if (userOnDrop !== undefined) {
      try {
        userOnDrop(error);
      } catch {
        // Same rule as onError.
      }
    }
    report(error);
  };
  const full = createCodec({ ...codecOptions, onDrop });
  // Baggage only when asked for, or when it is the only way a field travels.
  const baggageByDefault = codecOptions.write?.baggage === true || !headersCarryEveryField(codecOptions);
  const lean = baggageByDefault ? full : createCodec({ ...codecOptions, write: { ...codecOptions.write, baggage: false }, onDrop });
  const codecFor = (tag: Tag) => (tag.passthroughBaggage !== undefined ? full : lean);
  const entries = entryWriter(codecFor, report);

  // grpc-js types an interceptor's result as its InterceptingCall class but
  // only uses the InterceptingCallInterface methods (no instanceof check):
  // the next call itself, or a TaggedCall, is returned without the wrapper.
  const asCall = (call: ReturnType<NextCall>): InterceptingCall => call as InterceptingCall;
  return (callOptions: InterceptorOptions, nextCall: NextCall) => {
    const context = currentContext();
    if (context === undefined) return asCall(nextCall(callOptions));
    let effective = callOptions;
    if (useDeadline && context.deadline !== undefined) {
      const deadline = callDeadline(context.deadline.remaining(), callOptions.deadline);
      if (deadline !== undefined) effective = { ...callOptions, deadline };
    }
    const tag = context.tag;
    const list = tag.isEmpty ? undefined : entries.of(tag);
    // Nothing to write: no wrapper at all, grpc-js's own call goes on.
    if (list === undefined || list.length === 0) return asCall(nextCall(effective));
    return asCall(new TaggedCall(nextCall(effective), tag, list, entries));
  };
}
