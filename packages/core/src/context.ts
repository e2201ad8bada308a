import { AsyncLocalStorage } from 'node:async_hooks';
import { Deadline } from './deadline.js';
import { EMPTY_TAG } from './tag.js';
import type { IngressResult } from './ingress.js';
import type { Tag } from './tag.js';

/** The value under `key` on globalThis, made by `create` in the first copy of core that asks. */
function sharedGlobal<T>(key: symbol, create: () => T): T {
  const g = globalThis as typeof globalThis & Record<symbol, T | undefined>;
  let value = g[key];
  if (value === undefined) {
    value = create();
    Object.defineProperty(g, key, { value, enumerable: false, configurable: false, writable: false });
  }
  return value;
}

// Whether any scope so far held a deadline or a companion: the only parts a
// new request's context takes from the scope around its ingress. Until one
// does, ingress need not look that scope up, which inside a request callback
// is a call into C++ (Node 20's AsyncLocalStorage#getStore, ~0.1 µs in a
// server) for nothing. Shared by every copy of core, like the storage: a
// deadline set by one copy is inherited by the other's ingress. (A copy of
// core older than this flag never sets it: under its deadline scopes a newer
// copy's ingress would not inherit the deadline.)
const inheritable = sharedGlobal(Symbol.for('dyeline.context.v1.inheritable'), () => ({ seen: false }));

/**
 * What AsyncLocalStorage carries for one request: the tag, the deadline when
 * one applies, and what the ingress decided. Immutable; a nested scope gets a
 * new one. The ingress result rides here rather than in a map keyed by the
 * request: a WeakMap entry per request costs the GC more than the entry itself.
 */
export class RequestContext {
  constructor(
    /**
     * The request's tag. (Undefined only in a scope that holds nothing but a
     * {@link RequestContext.companion}: `currentContext()` never returns one.)
     */
    readonly tag: Tag,
    /** The request's deadline, if one applies. */
    readonly deadline: Deadline | undefined,
    /** What the ingress middleware decided for this request (tag, `trusted`), if one ran. */
    readonly ingress?: IngressResult,
    /**
     * Listeners added to request/response emitters inside this context run
     * in it (the ingress option `bindEmitters`); scopes derived from it keep it.
     */
    readonly bindsEmitters: boolean = false,
    /**
     * The context of another library that keeps its own in this same
     * storage — OpenTelemetry's, through `DyelineContextManager` of
     * `@dyeline/otel` — so that a process propagates one store, not two.
     * Opaque to dyeline; every scope derived from this one carries it on.
     */
    readonly companion?: unknown,
  ) {
    if ((deadline !== undefined || companion !== undefined) && !inheritable.seen) inheritable.seen = true;
  }
}

// One store per process, whatever number of copies of this package are
// loaded (ESM + CJS builds, two versions): the slot lives on globalThis under
// a versioned, registry-wide symbol. Bump the version only when the shape of
// RequestContext changes incompatibly. (`companion` was added within v1: a
// copy of core older than it drops the companion in the scopes it makes.)
const storage = sharedGlobal(Symbol.for('dyeline.context.v1'), () => new AsyncLocalStorage<RequestContext>());

/**
 * The scope a new request's context is made in, when it may hold something
 * that context inherits (a deadline, a companion); `undefined` otherwise.
 */
export function inheritableScope(): RequestContext | undefined {
  return inheritable.seen ? storage.getStore() : undefined;
}

/**
 * The process-wide AsyncLocalStorage that carries the {@link RequestContext}.
 * With `DyelineContextManager` it also carries OpenTelemetry's context, and
 * its store may then be a companion-only scope (`tag` undefined).
 */
export function contextStorage(): AsyncLocalStorage<RequestContext> {
  return storage;
}

/** The current request context, or `undefined` outside any request. */
export function currentContext(): RequestContext | undefined {
  const context = storage.getStore();
  // A scope that holds only a companion's context is no request's.
  return context?.tag === undefined ? undefined : context;
}

/** The current tag, or `undefined` outside any request. Allocates nothing. */
export function currentTag(): Tag | undefined {
  return storage.getStore()?.tag;
}

/** The current deadline, or `undefined` when none applies. */
export function currentDeadline(): Deadline | undefined {
  return storage.getStore()?.deadline;
}

/**
 * What the ingress middleware (`dyeline()` of `@dyeline/koa`, `@dyeline/express`)
 * decided for the current request — the tag and whether the caller is
 * trusted — or `undefined` when no ingress ran before.
 */
export function currentIngressResult(): IngressResult | undefined {
  return storage.getStore()?.ingress;
}

/**
 * Runs `fn` with `tag` as the current tag. A deadline already in force is
 * kept: a nested scope may change the tag, not extend the time.
 */
export function runWithTag<R>(tag: Tag, fn: () => R): R {
  const parent = storage.getStore();
  return storage.run(new RequestContext(tag, parent?.deadline, parent?.ingress, parent?.bindsEmitters, parent?.companion), fn);
}

/**
 * Runs `fn` under `deadline`, or under the deadline already in force when
 * that one is earlier: a callee never gets more time than its caller.
 */
export function runWithDeadline<R>(deadline: Deadline, fn: () => R): R {
  return storage.run(contextWithDeadline(Deadline.earliest(storage.getStore()?.deadline, deadline)), fn);
}

/**
 * The scope in force with `deadline`, as given, in place of its own: the
 * tag, ingress result, emitter binding and companion carried on (an empty
 * tag outside any request). What timeout middleware runs the request in.
 */
export function contextWithDeadline(deadline: Deadline | undefined): RequestContext {
  const parent = storage.getStore();
  return new RequestContext(parent?.tag ?? EMPTY_TAG, deadline, parent?.ingress, parent?.bindsEmitters === true, parent?.companion);
}

/** Runs `fn` inside `context` exactly as given. */
export function runWithContext<R>(context: RequestContext, fn: () => R): R {
  return storage.run(context, fn);
}

/**
 * Returns `fn` bound to the current context, so that it sees this request's
 * tag when an emitter or a pool calls it later from another async context.
 */
export function bindToCurrentContext<F extends (...args: never[]) => unknown>(fn: F): F {
  return AsyncLocalStorage.bind(fn);
}
