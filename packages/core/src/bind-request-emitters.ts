import type { EventEmitter } from 'node:events';
import { contextStorage } from './context.js';
import type { RequestContext } from './context.js';

// Framework-neutral (node:events only): shared by the Koa and Express adapters.

const storage = contextStorage();
const CONTEXT = Symbol('dyeline.requestContext');

type Listener = (...args: unknown[]) => unknown;
/** EventEmitter finds a wrapped listener by its `.listener` (removeListener, listeners()). */
type Wrapped = Listener & { listener: Listener };
type Emitter = EventEmitter & { [CONTEXT]?: RequestContext };
type AddListener = (this: EventEmitter, event: string | symbol, listener: Listener) => EventEmitter;

/**
 * The listener, made to run in the context it was added in — or, when added
 * outside any context, in the request's. Node emits `data`/`end` from the
 * socket's parser and `finish`/`close` from the socket's callbacks, whose
 * async context is the connection's, not the request's.
 */
function bind(emitter: Emitter, listener: Listener): Listener {
  const context = storage.getStore() ?? emitter[CONTEXT];
  if (context === undefined) return listener;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    if (storage.getStore() === context) return Reflect.apply(listener, this, args);
    return storage.run(context, Reflect.apply, listener, this, args);
  } as Wrapped;
  wrapped.listener = listener;
  return wrapped;
}

/** The prototype's own method (Readable's `on` for a request: it starts the flow on `data`). */
function inherited(emitter: EventEmitter, name: 'on' | 'prependListener'): AddListener {
  return (Object.getPrototypeOf(emitter) as Record<string, AddListener>)[name] as AddListener;
}

function on(this: Emitter, event: string | symbol, listener: Listener): EventEmitter {
  const add = inherited(this, 'on');
  return typeof listener === 'function' ? add.call(this, event, bind(this, listener)) : add.call(this, event, listener);
}

function prependListener(this: Emitter, event: string | symbol, listener: Listener): EventEmitter {
  const add = inherited(this, 'prependListener');
  return typeof listener === 'function' ? add.call(this, event, bind(this, listener)) : add.call(this, event, listener);
}

function onceWith(name: 'on' | 'prependListener') {
  return function (this: Emitter, event: string | symbol, listener: Listener): EventEmitter {
    const add = inherited(this, name);
    // EventEmitter's own once() calls this.on() with a wrapper whose `.listener`
    // would then be hidden behind ours; one wrapper that does both keeps
    // removeListener(event, listener) working.
    if (typeof listener !== 'function') return add.call(this, event, listener);
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
}

const once = onceWith('on');
const prependOnceListener = onceWith('prependListener');

function patch(emitter: Emitter, context: RequestContext): void {
  emitter[CONTEXT] = context;
  // Own properties holding shared functions: nothing is allocated per request
  // but these writes; a listener is wrapped only when one is added.
  emitter.on = on;
  emitter.addListener = on;
  emitter.prependListener = prependListener;
  emitter.once = once;
  emitter.prependOnceListener = prependOnceListener;
}

/**
 * Makes listeners later added to the request and response emitters (body
 * parsers' `data`/`end`, `finish`, `close`) run in the request's context, as
 * cls-rtracer does. Listeners added before this call are left alone.
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
  if ((request as Emitter)[CONTEXT] !== undefined) (request as Emitter)[CONTEXT] = context;
  if ((response as Emitter)[CONTEXT] !== undefined) (response as Emitter)[CONTEXT] = context;
}
