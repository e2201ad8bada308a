import { RequestContext, contextStorage } from './context.js';
import type { Tag } from './tag.js';

// What a context manager that keeps its own context in dyeline's storage
// (OpenTelemetry's, through DyelineContextManager of @dyeline/otel) needs:
// one store for both, each side's scopes keeping the other's state.

const storage = contextStorage();

/**
 * The companion context in force (see {@link RequestContext.companion}), or
 * `undefined` when none was set.
 */
export function currentCompanion(): unknown {
  return storage.getStore()?.companion;
}

/**
 * `parent` with `companion` in place of its own. Outside any request the
 * scope holds the companion alone: its `tag` is undefined, so that
 * `currentTag()` and `currentContext()` still say "no request" there.
 */
function withCompanion(parent: RequestContext | undefined, companion: unknown): RequestContext {
  if (parent === undefined || parent.tag === undefined) return new RequestContext(undefined as unknown as Tag, undefined, undefined, false, companion);
  return new RequestContext(parent.tag, parent.deadline, parent.ingress, parent.bindsEmitters, companion);
}

/**
 * Runs `fn(...args)` with `companion` as the companion context, the tag,
 * deadline and ingress result in force kept: what a context manager that
 * shares dyeline's storage does for its own `with`.
 */
export function runWithCompanion<A extends unknown[], R>(companion: unknown, fn: (...args: A) => R, ...args: A): R {
  const parent = storage.getStore();
  // Already in force (a bound listener called where it was bound, which
  // OpenTelemetry does for every event of a traced request): no new scope,
  // as AsyncLocalStorage#run skips a store that is already the current one.
  if (parent !== undefined && parent.companion === companion) return fn(...args);
  return storage.run(withCompanion(parent, companion), fn, ...args);
}

/**
 * Makes `companion` the companion context for the rest of the current
 * synchronous execution and what it schedules (`AsyncLocalStorage#enterWith`),
 * the tag in force kept. Returns the function that restores the scope
 * that was in force before.
 */
export function enterCompanion(companion: unknown): () => void {
  const previous = storage.getStore();
  storage.enterWith(withCompanion(previous, companion));
  return () => storage.enterWith(previous as RequestContext);
}
