import { EMPTY_TAG, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { networkFailureOf } from '@dyeline/resilience';
import type { HeaderOpsSpec, Instance, RouteDecision, RouteRequest, Router } from '@dyeline/routing';
import { passThroughRunner } from './route-policy-runner.js';
import type { PolicyRunner } from './route-policy-runner.js';

/** Options shared by every routed client (fetch, node:http, axios). */
export interface RoutedClientOptions {
  /** The router that chooses instances. */
  router: Router;
  /** Which hosts are logical and routed. Default: those the router handles (a VirtualService or instances). */
  routes?: (host: string) => boolean;
  /** Applies timeout, retries and fault around the tries. Default: none applied (the call runs once). */
  runPolicy?: PolicyRunner;
  /** Called with each decision (debug logs use `router.explain` for the why). */
  onDecision?: (decision: RouteDecision) => void;
  /** Mirror failures and other problems that must not fail the main call. */
  onError?: (error: unknown) => void;
  /** Random source in [0, 1) for mirror percentages. Default `Math.random`. */
  random?: () => number;
}

/** What one routed client does with the decision: send a try to an instance, and read its status. @internal */
export interface RoutedSend<T> {
  /** Sends one try to `origin` (`http://127.0.0.1:8080`). */
  send(origin: string, signal: AbortSignal | undefined, instance: Instance): Promise<T>;
  /** The HTTP status of a result (for the policy runner and outlier detection). */
  status(result: T): number;
  /** Turns a response the runner made itself (an injected abort) into the client's result. */
  fromResponse(response: Response): T | Promise<T>;
}

/** The decision code every routed client shares. @internal */
export interface RouteCaller {
  readonly router: Router;
  /** True when `host` is logical and must be routed. */
  routes(host: string): boolean;
  /** Decides for `view` under `tag` and reports the decision. @throws {NoInstanceError} | {LaneUnavailableError} */
  decide(view: RouteRequest, tag: Tag): RouteDecision;
  /** Fires the decision's mirrors, each through `send(origin)`; never throws, never waits. */
  mirror(decision: RouteDecision, tag: Tag, protocol: string, send: (origin: string) => Promise<unknown>): void;
  /** Runs the tries of a call through the policy runner; a retry picks again in the same subset and lane. */
  run<T>(decision: RouteDecision, tag: Tag, view: RouteRequest, protocol: string, client: RoutedSend<T>): Promise<T>;
  /** Reports a problem that must not fail the call. */
  report(error: unknown): void;
}

/** The origin of an instance address (`host:port` or a full `http://host:port`). @internal */
export function originOf(instance: Instance, protocol: string): string {
  return instance.address.includes('://') ? instance.address.replace(/\/+$/, '') : `${protocol}//${instance.address}`;
}

/**
 * Tells outlier detection about a try that failed without a response: a
 * connection failure, reset or per-try timeout counts (as Envoy counts local
 * origin errors); the caller's own abort or deadline does not. @internal
 */
export function recordFailure(router: Router, target: Pick<RouteDecision, 'host' | 'subset'>, instance: Instance, error: unknown): void {
  if (networkFailureOf(error) !== undefined) router.record(target, instance, false);
}

/** The tag calls are routed by: the current one, or the empty tag. @internal */
export function routingTag(): Tag {
  return currentTag() ?? EMPTY_TAG;
}

/** Applies a route's `headers.request` edits through the client's own header setters. @internal */
export function applyHeaderOps(
  ops: HeaderOpsSpec | undefined,
  target: { remove(name: string): void; set(name: string, value: string): void; append(name: string, value: string): void },
): void {
  if (ops === undefined) return;
  for (const name of ops.remove) target.remove(name);
  for (const [name, value] of Object.entries(ops.set)) target.set(name, value);
  for (const [name, value] of Object.entries(ops.add)) target.append(name, value);
}

/**
 * Validates the shared options of a routed client (named `client` in errors)
 * once, when the client is built, and returns the shared decision code.
 * @throws {TypeError} naming the option.
 * @internal
 */
export function createRouteCaller(client: string, options: RoutedClientOptions, extraFunctions: readonly string[] = []): RouteCaller {
  if (typeof options?.router?.decide !== 'function') throw new TypeError(`${client}: router must be a Router`);
  const record = options as unknown as Record<string, unknown>;
  for (const name of ['routes', 'runPolicy', 'onDecision', 'onError', 'random', ...extraFunctions]) {
    if (record[name] !== undefined && typeof record[name] !== 'function') throw new TypeError(`${client}: ${name} must be a function`);
  }
  const { router } = options;
  const routes = options.routes ?? ((host: string) => router.handles(host));
  const runPolicy = options.runPolicy ?? passThroughRunner;
  const random = options.random ?? Math.random;
  const report = (error: unknown): void => {
    try {
      options.onError?.(error);
    } catch {
      // An observer that throws must not fail the call it observes.
    }
  };

  return {
    router,
    routes,
    report,
    decide(view, tag) {
      const decision = router.decide(view, tag);
      options.onDecision?.(decision);
      return decision;
    },
    mirror(decision, tag, protocol, send) {
      for (const mirror of decision.policy.mirrors) {
        if (random() * 100 >= mirror.percent) continue;
        try {
          const instance = router.pick(mirror.host, mirror.subset, tag);
          // Fire and forget: the response is discarded and errors only reported.
          send(originOf(instance, protocol)).catch(report);
        } catch (error) {
          report(error);
        }
      }
    },
    async run<T>(decision: RouteDecision, tag: Tag, view: RouteRequest, protocol: string, routed: RoutedSend<T>): Promise<T> {
      // The runner speaks fetch `Response`; other clients' results ride along behind a stand-in.
      let results: WeakMap<Response, T> | undefined;
      const response = await runPolicy(decision.policy, async (attempt, signal) => {
        const instance = attempt === 1 ? decision.instance : router.pick(decision.host, decision.subset, tag, view);
        const end = router.begin(instance);
        let result: T;
        try {
          result = await routed.send(originOf(instance, protocol), signal, instance);
        } catch (error) {
          recordFailure(router, decision, instance, error);
          throw error;
        } finally {
          end();
        }
        const status = routed.status(result);
        router.record(decision, instance, status);
        if (result instanceof Response) return result;
        const standIn = new Response(null, { status: status >= 200 && status <= 599 ? status : 200 });
        (results ??= new WeakMap()).set(standIn, result);
        return standIn;
      });
      if (response instanceof Response) {
        const result = results?.get(response);
        if (result !== undefined) return result;
      }
      return routed.fromResponse(response);
    },
  };
}
