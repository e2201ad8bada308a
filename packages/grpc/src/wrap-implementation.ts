import { Metadata, status } from '@grpc/grpc-js';
import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Deadline, DyelineError, EMPTY_TAG, RequestContext, contextStorage, createIngress, currentCompanion, isUntrustedTagError } from '@dyeline/core';
import type { IngressOptions, IngressStats } from '@dyeline/core';
import { cancelReason } from './cancel-reason.js';
import { metadataAccessor } from './metadata-accessor.js';
import { parsePeerAddress } from './peer-address.js';

/**
 * Options of {@link wrapImplementation} and {@link addDyelineService}: the
 * same as every dyeline ingress (codec, `trust`, `onInvalid`, `onUntrusted`,
 * `onError`). Rejections answer `INVALID_ARGUMENT` (invalid input) or
 * `PERMISSION_DENIED` (untrusted caller, bad signature).
 */
export type DyelineServerOptions = IngressOptions;

/** The surface of every grpc-js server call object this wrapper relies on. */
interface ServerCallLike {
  readonly metadata: Metadata;
  getPeer(): string;
  getDeadline(): Date | number;
  emit(event: string | symbol, ...args: unknown[]): boolean;
}

type Handler = (this: unknown, call: ServerCallLike, callback?: (error: unknown, value?: unknown) => void) => unknown;

const WRAPPED = Symbol.for('dyeline.grpc.wrapped');
const ERROR_KEY = 'x-dyeline-error';
const UNTAGGED = new RequestContext(EMPTY_TAG, undefined);
const storage = contextStorage();

// A connection's peer string is the same for every call on it: parse it once.
const peers = new Map<string, string | undefined>();
function peerAddress(peer: string): string | undefined {
  let address = peers.get(peer);
  if (address === undefined && !peers.has(peer)) {
    if (peers.size >= 1024) peers.clear();
    address = parsePeerAddress(peer);
    peers.set(peer, address);
  }
  return address;
}

// setTimeout fires at once for delays above 2^31-1 ms while grpc-timeout
// allows years: a far deadline is kept at ~24.8 days so its signal does not
// abort at once. (grpc-js 1.14 itself fails such calls with DEADLINE_EXCEEDED
// today; this keeps dyeline correct when it stops doing so.)
const MAX_TIMER_MS = 2_147_483_647;

function incomingDeadline(deadline: Date | number): Deadline | undefined {
  const at = typeof deadline === 'number' ? deadline : deadline.getTime();
  if (!Number.isFinite(at)) return undefined;
  const left = at - Date.now();
  return Deadline.after(left <= 0 ? 0 : Math.min(left, MAX_TIMER_MS));
}

const CONTEXT = Symbol('dyeline.grpc.context');
const ORIGINAL_EMIT = Symbol('dyeline.grpc.emit');

interface BoundCall extends ServerCallLike {
  [CONTEXT]: RequestContext;
  [ORIGINAL_EMIT]: ServerCallLike['emit'];
}

/**
 * grpc-js emits 'cancelled' when the client cancels, the connection drops or
 * the deadline passes: the handler's work is wasted from then on, so the
 * request deadline's signal aborts (see {@link cancelReason}).
 */
function cancel(context: RequestContext): void {
  const deadline = context.deadline;
  if (deadline === undefined) return;
  // Deadline.abort() reaches only a signal that exists; make it first so a
  // handler that asks for it later still finds it aborted.
  if (deadline.signal.aborted) return;
  deadline.abort(cancelReason(deadline.remaining()));
}

/** Runs the call's own emit inside the call's request context (shared by every call: no closure per call). */
function contextEmit(this: BoundCall, event: string | symbol): boolean {
  const context = this[CONTEXT];
  if (event === 'cancelled') cancel(context);
  if (storage.getStore() === context) return Reflect.apply(this[ORIGINAL_EMIT], this, arguments) as boolean;
  return storage.run(context, Reflect.apply, this[ORIGINAL_EMIT], this, arguments) as boolean;
}

/**
 * Listeners on the call ('data', 'end', 'cancelled', 'drain', ...) are called
 * by grpc-js from the HTTP/2 session's async context, not the handler's.
 * Running every emit inside the request context gives them the tag, the way
 * cls-rtracer binds request emitters, without wrapping listeners (which would
 * break removeListener and once).
 */
function bindEmitter(call: ServerCallLike, context: RequestContext): void {
  const bound = call as BoundCall;
  bound[CONTEXT] = context;
  bound[ORIGINAL_EMIT] = call.emit;
  bound.emit = contextEmit as ServerCallLike['emit'];
}

function invoke(handler: Handler, self: unknown, call: ServerCallLike, callback: ((error: unknown, value?: unknown) => void) | undefined): unknown {
  return handler.call(self, call, callback);
}

function reject(call: ServerCallLike, callback: ((error: unknown) => void) | undefined, error: DyelineError): void {
  // The dyeline error code rides in the trailers, as HTTP ingress puts it in the body.
  const metadata = new Metadata();
  metadata.set(ERROR_KEY, error.code);
  const failure = {
    code: isUntrustedTagError(error) ? status.PERMISSION_DENIED : status.INVALID_ARGUMENT,
    details: error.message,
    metadata,
  };
  // Unary and client-streaming answer through the callback; grpc-js turns an
  // 'error' event on a server stream into the call's status.
  if (typeof callback === 'function') callback(failure);
  else call.emit('error', failure);
}

function collectHandlers(implementation: object): Map<string, Handler> {
  const handlers = new Map<string, Handler>();
  // Class instances keep their handlers on the prototype; grpc-js finds them there too.
  for (let o: object | null = implementation; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || handlers.has(name)) continue;
      const value = (implementation as Record<string, unknown>)[name];
      if (typeof value === 'function') handlers.set(name, value as Handler);
    }
  }
  return handlers;
}

/**
 * Returns a copy of a grpc-js service implementation whose every handler
 * runs inside the tag read from the call's metadata (under the trust policy,
 * with the peer address from `call.getPeer()`), and under the call's gRPC
 * deadline as the request {@link Deadline}. Unary, server-, client- and
 * bidi-streaming handlers keep the tag after awaits and inside the call's
 * `data`/`end`/`cancelled` listeners. Bad metadata is dropped and reported
 * through `onError`, or rejected per `onInvalid`/`onUntrusted`; it never
 * throws into grpc-js.
 *
 * Handlers are called with `this` bound to the original implementation.
 *
 * @throws {TypeError} when `implementation` is not an object, or an option is invalid.
 */
export function wrapImplementation<I extends object = UntypedServiceImplementation>(implementation: I, options: DyelineServerOptions = {}): I {
  return wrap(implementation, options).implementation;
}

function wrap<I extends object>(implementation: I, options: DyelineServerOptions): { implementation: I; stats: Readonly<IngressStats> } {
  if (typeof implementation !== 'object' || implementation === null) {
    throw new TypeError('wrapImplementation: implementation must be an object of handlers');
  }
  const ingress = createIngress(options);
  const onError = options.onError;
  const wrapped: Record<string, Handler> = {};
  for (const [name, handler] of collectHandlers(implementation)) {
    if ((handler as Handler & { [WRAPPED]?: true })[WRAPPED] === true) {
      wrapped[name] = handler;
      continue;
    }
    const dyelineHandler: Handler = function (call, callback) {
      // A companion context in force (OpenTelemetry's server span, with
      // DyelineContextManager) is carried on; any other ambient scope is not.
      const companion = currentCompanion();
      let context = companion === undefined ? UNTAGGED : new RequestContext(EMPTY_TAG, undefined, undefined, false, companion);
      try {
        const read = ingress.read(call.metadata, metadataAccessor, peerAddress(call.getPeer()));
        if (read.rejected !== undefined) {
          reject(call, callback, read.rejected);
          return undefined;
        }
        let deadline = incomingDeadline(call.getDeadline());
        if (read.deadlineMs !== undefined) deadline = Deadline.earliest(deadline, Deadline.after(read.deadlineMs));
        if (read.tag !== EMPTY_TAG || deadline !== undefined) context = new RequestContext(read.tag, deadline, read, false, companion);
      } catch (cause) {
        // Not reachable with a well-behaved ingress; if it happens, serve untagged rather than fail the call.
        if (onError !== undefined) {
          try {
            onError(new DyelineError('ERR_DYELINE_INTERNAL', 'reading the call metadata failed; call served untagged', { cause }));
          } catch {
            // Observing must never break a call.
          }
        }
      }
      bindEmitter(call, context);
      return storage.run(context, invoke, handler, implementation, call, callback);
    };
    Object.defineProperty(dyelineHandler, WRAPPED, { value: true });
    Object.defineProperty(dyelineHandler, 'name', { value: name });
    wrapped[name] = dyelineHandler;
  }
  return { implementation: wrapped as unknown as I, stats: ingress.stats };
}

/**
 * `server.addService(service, implementation)` with every handler wrapped by
 * {@link wrapImplementation}: one line to make a grpc-js service tag-aware.
 * Returns the ingress counters of the service (live: calls read, drops,
 * refused signatures, rejections).
 *
 * @throws {TypeError} when the implementation is not an object, or an option is invalid.
 */
export function addDyelineService<I extends object = UntypedServiceImplementation>(
  server: Server,
  service: ServiceDefinition,
  implementation: I,
  options: DyelineServerOptions = {},
): Readonly<IngressStats> {
  const { implementation: wrapped, stats } = wrap(implementation, options);
  server.addService(service, wrapped as unknown as UntypedServiceImplementation);
  return stats;
}
