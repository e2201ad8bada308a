import { EventEmitter } from 'node:events';
import { Duplex, Readable, Stream, Writable } from 'node:stream';
import { contextStorage } from './context.js';
import type { RequestContext } from './context.js';

// Framework-neutral (node:events only): shared by the Koa and Express adapters.
//
// The listener methods are patched once per class prototype (IncomingMessage,
// ServerResponse, or a subclass of either). A listener is bound to the
// context it is added in when the emitter is one the ingress handed over
// (marked with BINDS) and that context says so (RequestContext#bindsEmitters,
// set by an ingress with `bindEmitters` on and kept by scopes derived from
// it), as cls-rtracer's bindEmitter does. The mark comes first: Node and Koa
// add listeners to every request's emitters before any ingress runs, and a
// property load settles those where asking AsyncLocalStorage would cost an
// async_hooks lookup each. An earlier version remembered each emitter's
// request in a WeakMap: on the objects Express re-parents with
// Object.setPrototypeOf, measured at ~1.7 µs of CPU per request plus ~1.4 µs
// of extra GC in a server profile; a property costs neither.

const storage = contextStorage();
// Local to this copy of core: a second copy patches its own layer on top,
// and each layer binds with its own copy's storage (the same global store).
const PATCHED = Symbol('dyeline.emittersPatched');

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

// Marks an emitter whose listeners may be bound: the request and response an
// ingress handed to bindRequestEmitters. Shared by every copy of core, so
// that each copy's layer binds what any copy's ingress handed over.
const BINDS = Symbol.for('dyeline.bindsListeners.v1');

// A response whose `req` (Node sets it) is a marked request is marked through
// it: one property added per request rather than two, and the responses keep
// the one shape Node's and Koa's code see them in before the ingress ran.
type Markable = EventEmitter & { [BINDS]?: true; req?: Markable };

// Marks a listener already bound, by this copy or another: with two copies
// patched one on top of the other, the outer one binds and the inner one
// passes the wrapper on (a second wrapper would hide the listener from
// removeListener, which looks one `.listener` deep).
const BOUND = Symbol.for('dyeline.boundListener.v1');

/**
 * Node's own `end` listener that clears the parser's slot (named
 * `clearIncoming`), once seen. Node adds it to every request whose body
 * nobody read, as the response finishes, and it needs no context: binding it
 * cost two context lookups and a closure per request (~0.2 µs in a Koa
 * server). Known by its name the first time and by identity after: reading
 * a function's name is a call into the runtime.
 */
let clearIncoming: unknown;

/** The context a listener added to `emitter` now is bound to, or undefined when it is left alone. */
function bindingContext(emitter: Markable, event: string | symbol, listener: unknown): RequestContext | undefined {
  if (emitter[BINDS] !== true && emitter.req?.[BINDS] !== true) return undefined;
  if (typeof listener !== 'function' || listener === clearIncoming) return undefined;
  if (event === 'end' && clearIncoming === undefined && listener.name === 'clearIncoming') {
    clearIncoming = listener;
    return undefined;
  }
  const context = storage.getStore();
  if (context === undefined || context.bindsEmitters !== true) return undefined;
  return BOUND in listener ? undefined : context;
}

type Listener = (...args: unknown[]) => unknown;
/** EventEmitter finds a wrapped listener by its `.listener` (removeListener, listeners()). */
type Wrapped = Listener & { listener: Listener; [BOUND]?: true };
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
 * The listener, made to run in the context it was added in. Node emits
 * `data`/`end` from the socket's parser and `finish`/`close` from the
 * socket's callbacks, whose async context is the connection's, not the
 * request's.
 */
function bind(context: RequestContext, listener: Listener): Listener {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (storage.getStore() === context) return Reflect.apply(listener, this, args);
    return storage.run(context, Reflect.apply, listener, this, args);
  } as Wrapped;
  wrapped.listener = listener;
  wrapped[BOUND] = true;
  return wrapped;
}

/** Listener methods that bind, calling `original` (the methods the object had before). */
function bindingMethods(original: ListenerMethods): ListenerMethods {
  const on: AddListener = function (event, listener) {
    const context = bindingContext(this, event, listener);
    return original.on.call(this, event, context === undefined ? listener : bind(context, listener));
  };
  const prependListener: AddListener = function (event, listener) {
    const context = bindingContext(this, event, listener);
    return original.prependListener.call(this, event, context === undefined ? listener : bind(context, listener));
  };
  const onceWith = (add: AddListener, unbound: AddListener): AddListener =>
    function (event, listener) {
      const context = bindingContext(this, event, listener);
      if (context === undefined) return unbound.call(this, event, listener);
      // EventEmitter's own once() calls this.on() with a wrapper whose
      // `.listener` would then be hidden behind ours; one wrapper that does
      // both keeps removeListener(event, listener) working.
      const emitter = this;
      const inner = bind(context, listener);
      let fired = false;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        if (fired) return undefined;
        fired = true;
        emitter.removeListener(event, wrapped);
        return Reflect.apply(inner, this, args);
      } as Wrapped;
      wrapped.listener = listener;
      wrapped[BOUND] = true;
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

function patch(emitter: EventEmitter): void {
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
 * parsers' `data`/`end`, `finish`, `close`) run in the context they are added
 * in, when that context binds emitters ({@link RequestContext.bindsEmitters}),
 * as cls-rtracer does. Patches the emitters' class prototypes once and marks
 * these two objects; listeners added before, to other emitters of the same
 * classes, or in a context that does not bind, are left alone.
 */
export function bindRequestEmitters(request: EventEmitter, response: EventEmitter): void {
  patch(request);
  patch(response);
  (request as Markable)[BINDS] = true;
  if ((response as Markable).req !== request) (response as Markable)[BINDS] = true;
}
