import { EventEmitter } from 'node:events';
import { Duplex, Readable, Stream, Writable } from 'node:stream';
import { contextStorage } from './context.js';
import type { RequestContext } from './context.js';

// Framework-neutral (node:events only): shared by the Koa and Express adapters.
//
// The listener methods are patched once per class prototype (IncomingMessage,
// ServerResponse, or a subclass of either); what is per request is only the
// emitter's context. Where it is kept is a measured choice (Node 20):
// - on a plain IncomingMessage/ServerResponse (Koa, node:http) an own symbol
//   property: every instance shares the hidden-class transition, ~10 ns, and
//   the GC has nothing extra to trace;
// - on an emitter re-parented by Object.setPrototypeOf (Express does this to
//   every req/res) a new own property gets a fresh hidden class, ~450 ns, so
//   those go in a WeakMap (~250 ns, plus ephemeron work for the GC).

const storage = contextStorage();
const CONTEXT = Symbol('dyeline.emitterContext');
const contexts = new WeakMap<object, RequestContext>();
// Local to this copy of core: a second copy patches its own layer on top,
// and each layer answers only for the emitters it bound.
const PATCHED = Symbol('dyeline.emittersPatched');

type WithContext = { [CONTEXT]?: RequestContext };
/** Per prototype: is it its class's own prototype (not an object Express spliced in)? Few entries, long-lived. */
const classOwned = new WeakMap<object, boolean>();

function isClassPrototype(proto: object | null): boolean {
  if (proto === null) return false;
  let known = classOwned.get(proto);
  if (known === undefined) {
    const ctor = Object.hasOwn(proto, 'constructor') ? (proto as { constructor: unknown }).constructor : undefined;
    known = typeof ctor === 'function' && (ctor as { prototype?: unknown }).prototype === proto;
    classOwned.set(proto, known);
  }
  return known;
}

function remember(emitter: object, context: RequestContext): void {
  if (isClassPrototype(Object.getPrototypeOf(emitter) as object | null)) (emitter as WithContext)[CONTEXT] = context;
  else contexts.set(emitter, context);
}

function contextOf(emitter: object): RequestContext | undefined {
  return (emitter as WithContext)[CONTEXT] ?? contexts.get(emitter);
}

type Listener = (...args: unknown[]) => unknown;
/** EventEmitter finds a wrapped listener by its `.listener` (removeListener, listeners()). */
type Wrapped = Listener & { listener: Listener };
type AddListener = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;
type ListenerMethods = Record<'on' | 'addListener' | 'prependListener' | 'once' | 'prependOnceListener', AddListener>;

/** Prototypes shared by every stream or emitter: never patched. */
const SHARED_PROTOTYPES: ReadonlySet<object> = new Set([
  EventEmitter.prototype,
  Stream.prototype,
  Readable.prototype,
  Writable.prototype,
  Duplex.prototype,
  Object.prototype,
]);

/**
 * The listener, made to run in the context it was added in — or, when added
 * outside any context, in the request's. Node emits `data`/`end` from the
 * socket's parser and `finish`/`close` from the socket's callbacks, whose
 * async context is the connection's, not the request's. Emitters that were
 * never bound get the listener back unchanged.
 */
function bind(emitter: object, listener: Listener): Listener {
  const own = contextOf(emitter);
  if (own === undefined) return listener;
  const context = storage.getStore() ?? own;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (storage.getStore() === context) return Reflect.apply(listener, this, args);
    return storage.run(context, Reflect.apply, listener, this, args);
  } as Wrapped;
  wrapped.listener = listener;
  return wrapped;
}

/** Listener methods that bind, calling `original` (the methods the object had before). */
function bindingMethods(original: ListenerMethods): ListenerMethods {
  const on: AddListener = function (event, listener) {
    return original.on.call(this, event, typeof listener === 'function' ? bind(this, listener) : listener);
  };
  const prependListener: AddListener = function (event, listener) {
    return original.prependListener.call(this, event, typeof listener === 'function' ? bind(this, listener) : listener);
  };
  const onceWith = (add: AddListener, unbound: AddListener): AddListener =>
    function (event, listener) {
      if (typeof listener !== 'function' || contextOf(this) === undefined) return unbound.call(this, event, listener);
      // EventEmitter's own once() calls this.on() with a wrapper whose
      // `.listener` would then be hidden behind ours; one wrapper that does
      // both keeps removeListener(event, listener) working.
      const emitter = this;
      const inner = bind(this, listener);
      let fired = false;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        if (fired) return undefined;
        fired = true;
        emitter.removeListener(event, wrapped);
        return Reflect.apply(inner, this, args);
      } as Wrapped;
      wrapped.listener = listener;
      return add.call(this, event, wrapped);
    };
  return { on, addListener: on, prependListener, once: onceWith(original.on, original.once),
    prependOnceListener: onceWith(original.prependListener, original.prependOnceListener),
  };
}

function currentMethods(target: EventEmitter): ListenerMethods {
  return {
    on: target.on as AddListener,
    addListener: target.addListener as AddListener,
    prependListener: target.prependListener as AddListener,
    once: target.once as AddListener,
    prependOnceListener: target.prependOnceListener as AddListener,
  };
}

/** The prototype of the emitter's class (IncomingMessage, ServerResponse, a subclass), or undefined. */
function classPrototype(emitter: EventEmitter): object | undefined {
  let proto = Object.getPrototypeOf(emitter) as object | null;
  while (proto !== null && !SHARED_PROTOTYPES.has(proto)) {
    if (isClassPrototype(proto)) return proto;
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return undefined;
}

function patch(emitter: EventEmitter, context: RequestContext): void {
  remember(emitter, context);
  if (PATCHED in emitter) return;
  const proto = classPrototype(emitter);
  if (proto === undefined) {
    // A bare emitter: patch the object itself rather than a shared prototype.
    Object.assign(emitter, bindingMethods(currentMethods(emitter)), { [PATCHED]: true });
    return;
  }
  Object.assign(proto, bindingMethods(currentMethods(emitter)));
  Object.defineProperty(proto, PATCHED, { value: true });
}

/**
 * Makes listeners later added to the request and response emitters (body
 * parsers' `data`/`end`, `finish`, `close`) run in the request's context, as
 * cls-rtracer does. Listeners added before this call are left alone; emitters
 * never bound are not affected.
 */
export function bindRequestEmitters(context: RequestContext, request: EventEmitter, response: EventEmitter): void {
  patch(request, context);
  patch(response, context);
}

/**
 * Points emitters already bound by {@link bindRequestEmitters} at a newer
 * context of the same request (a timeout middleware that adds a deadline);
 * unbound emitters are left alone, so `bindEmitters: false` stays off.
 */
export function rebindRequestEmitters(context: RequestContext, request: EventEmitter, response: EventEmitter): void {
  if (contextOf(request) !== undefined) remember(request, context);
  if (contextOf(response) !== undefined) remember(response, context);
}
