import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { currentCompanion, enterCompanion, runWithCompanion } from '@dyeline/core';

/**
 * OpenTelemetry's `AsyncLocalStorageContextManager`, keeping OpenTelemetry's
 * context in dyeline's AsyncLocalStorage instead of one of its own: a
 * process with both propagates one store, not two. On Node 20 every
 * AsyncLocalStorage in use copies its store into every promise and async
 * resource the process creates, so a second one costs on every request
 * (`pnpm bench --suite context-manager`).
 *
 * Semantics are those of two separate stores: OpenTelemetry's `with` changes
 * its context and keeps the dyeline tag in force; dyeline's scopes keep the
 * OpenTelemetry context in force. `bind` (functions and event emitters)
 * is OpenTelemetry's own.
 *
 * @example
 * new NodeTracerProvider().register({
 *   contextManager: new DyelineContextManager(),
 *   propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new DyelinePropagator()] }),
 * });
 */
export class DyelineContextManager extends AsyncLocalStorageContextManager {
  override active(): Context {
    return (currentCompanion() as Context | undefined) ?? ROOT_CONTEXT;
  }

  override with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const callback = thisArg == null ? fn : (fn.bind(thisArg) as F);
    return runWithCompanion(context, callback, ...args);
  }

  /**
   * Makes `context` active for the rest of the current execution
   * (`AsyncLocalStorage#enterWith`), as OpenTelemetry's does; `dispose()`
   * restores what was active before, once.
   */
  override attach(context: Context): { dispose(): void } {
    let restore: (() => void) | undefined = enterCompanion(context);
    return {
      dispose() {
        restore?.();
        restore = undefined;
      },
    };
  }

  override enable(): this {
    return this;
  }

  /** Does nothing: the storage is dyeline's, which goes on carrying tags. */
  override disable(): this {
    return this;
  }
}
