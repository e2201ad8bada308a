import type { IncomingMessage, ServerResponse } from 'node:http';
import { currentTag } from '@dyeline/core';
import type { Namespace } from 'cls-hooked';

/** Options of {@link clsHookedBridge}. */
export interface ClsBridgeOptions {
  /** The namespace key that holds the `Tag`. Default `'dyeline.tag'`. */
  key?: string;
}

/** Ways to enter the namespace with the current tag set; use one per request, after dyeline ingress. */
export interface ClsBridge {
  /** Runs `fn` in a new namespace context holding the current tag. */
  run<R>(fn: () => R): R;
  /** Express middleware (also binds `req`/`res` emitters to the namespace). */
  express(req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  /** Koa middleware. */
  koa(ctx: unknown, next: () => Promise<unknown>): Promise<unknown>;
}

/**
 * Makes the dyeline tag visible inside an existing cls-hooked namespace
 * (`ns.get('dyeline.tag')`), for legacy code and libraries that read CLS,
 * such as Sequelize's CLS transactions. dyeline itself keeps using
 * AsyncLocalStorage; the bridge copies the tag into the namespace at the
 * start of each request.
 *
 * Cost: cls-hooked installs an async_hooks hook that runs for every async
 * resource of the process; see the README for measured figures.
 *
 * @throws {TypeError} when `namespace` is not a cls-hooked namespace or `options.key` is not a string.
 */
export function clsHookedBridge(namespace: Namespace, options: ClsBridgeOptions = {}): ClsBridge {
  if (typeof namespace?.run !== 'function' || typeof namespace.set !== 'function') {
    throw new TypeError('clsHookedBridge: namespace must be a cls-hooked namespace (createNamespace(name))');
  }
  const key = options.key ?? 'dyeline.tag';
  if (typeof key !== 'string' || key === '') throw new TypeError('clsHookedBridge: options.key must be a non-empty string');

  function run<R>(fn: () => R): R {
    let result: R | undefined;
    namespace.run(() => {
      namespace.set(key, currentTag());
      result = fn();
    });
    return result as R;
  }

  return {
    run,
    express(req, res, next) {
      namespace.bindEmitter(req);
      namespace.bindEmitter(res);
      run(() => next());
    },
    koa(_ctx, next) {
      return run(() => next());
    },
  };
}
