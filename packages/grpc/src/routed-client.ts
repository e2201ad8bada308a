import { Metadata, status } from '@grpc/grpc-js';
import type { Client, ClientUnaryCall, ServiceError } from '@grpc/grpc-js';
import { EMPTY_TAG, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { isTimeoutError } from '@dyeline/resilience';
import type { Instance, InstanceSource, RouteDecision, RouteRequest, Router } from '@dyeline/routing';
import type { GrpcPolicyRunner } from './grpc-route-policy-runner.js';
import { metadataAccessor } from './metadata-accessor.js';
import { RoutedUnaryCall } from './routed-unary-call.js';

/** Options of {@link routedGrpcClient}. */
export interface RoutedGrpcClientOptions<C extends Client> {
  /** The router that chooses the instance of each call. */
  router: Router;
  /** The logical service name callers use, as in the rules and the registry (e.g. `greeter`). */
  host: string;
  /**
   * Builds the client of one instance, e.g. `(address) => new Greeter(address, creds, { interceptors:
   * [dyelineClientInterceptor()] })`. Called once per instance address; the client (and its channel)
   * is reused for every call routed there.
   */
  create: (address: string) => C;
  /**
   * The instance source the router reads (the same object). When given, the client of an instance
   * that leaves the source is closed; without it, clients live until {@link RoutedGrpcClient.close}.
   */
  instances?: InstanceSource;
  /**
   * Applies the route's fault, timeout and retries to unary calls: pass
   * `createGrpcRoutePolicyRunner()`. Without it a unary call runs once, its
   * route timeout as its deadline, as every streaming call does.
   */
  runPolicy?: GrpcPolicyRunner;
  /** Called with each decision (debug logs use `router.explain` for the why). */
  onDecision?: (decision: RouteDecision) => void;
  /** Problems that must not fail a call (a throwing `onDecision`, a client that failed to close, a failed mirror). */
  onError?: (error: unknown) => void;
  /** Random source in [0, 1) for mirror percentages. Default `Math.random`. */
  random?: () => number;
}

/** The routed client: the service's methods, routed per call; `close()` closes every instance's client. */
export type RoutedGrpcClient<C extends Client> = C;

interface MethodAttributes {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

type AnyMethod = (...args: unknown[]) => unknown;
type StatusEmitter = { once(event: 'status', listener: (s: { code: status }) => void): unknown };

// How Envoy maps gRPC status to HTTP for outlier detection: these count as 5xx.
const AS_HTTP: Partial<Record<status, number>> = {
  [status.UNAVAILABLE]: 503,
  [status.INTERNAL]: 500,
  [status.UNKNOWN]: 500,
  [status.DATA_LOSS]: 500,
  [status.DEADLINE_EXCEEDED]: 504,
};

function addressOf(instance: Instance): string {
  // Registries may hold a full origin; grpc-js wants host:port.
  const address = instance.address;
  return address.includes('://') ? new URL(address).host : address;
}

function attributesOf(client: Client, name: string): MethodAttributes | undefined {
  const method = (client as unknown as Record<string, unknown>)[name] as (AnyMethod & Partial<MethodAttributes>) | undefined;
  if (typeof method !== 'function' || typeof method.path !== 'string') return undefined;
  return { path: method.path, requestStream: method.requestStream === true, responseStream: method.responseStream === true };
}

type Normalised = ReturnType<typeof normalise>;

function routingTag(): Tag {
  return currentTag() ?? EMPTY_TAG;
}

/** The outcome to the caller; a callback that throws does so as it would from grpc-js, not as a rejection. */
function settle(routed: RoutedUnaryCall, callback: (error: ServiceError | null, response?: unknown) => void, error: ServiceError | undefined, response?: unknown): void {
  try {
    routed.settle(callback, error, response);
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}

/**
 * Puts a call's arguments in their full form — `(request?, metadata, options, callback?)` — so the
 * metadata and options can be edited whatever overload the caller used.
 */
function normalise(
  attributes: MethodAttributes,
  args: unknown[],
): { args: unknown[]; metadata: Metadata; options: { deadline?: Date | number }; callback: unknown } {
  const rest = attributes.requestStream ? args : args.slice(1);
  let metadata: Metadata | undefined;
  let options: { deadline?: Date | number } | undefined;
  let callback: unknown;
  for (const arg of rest) {
    if (arg instanceof Metadata) metadata = arg;
    else if (typeof arg === 'function') callback = arg;
    else if (typeof arg === 'object' && arg !== null) options = arg as { deadline?: Date | number };
  }
  metadata ??= new Metadata();
  options = { ...options };
  const full: unknown[] = attributes.requestStream ? [metadata, options] : [args[0], metadata, options];
  if (!attributes.responseStream) full.push(callback);
  return { args: full, metadata, options, callback };
}

/**
 * A gRPC client for a logical service whose every call goes to the instance
 * the router chooses for the current tag: route match (on the tag and the
 * call's metadata, `uri` being the method path `/pkg.Service/Method`),
 * lanes with fallback, sticky weights. One client per instance address is
 * made with `create` and reused; with `instances`, it is closed when the
 * instance leaves the source. The route's `timeout` becomes the call's
 * deadline (an earlier one is kept), its header edits apply to the
 * metadata, and how each call ended feeds the destination's outlier
 * detection. The tag itself is written by the dyeline interceptor of the
 * clients `create` builds.
 *
 * Unary calls also get the route's mirrors (a copy to the mirror
 * destination, its reply discarded) and, with `runPolicy:
 * createGrpcRoutePolicyRunner()`, its fault, timeout and retries (a retry
 * picks again in the same subset and lane). Streaming calls are routed and
 * get the route timeout as their deadline; they are neither retried,
 * faulted nor mirrored.
 *
 * @throws {TypeError} naming the option when the options are invalid. A call
 * throws `NoInstanceError` or `LaneUnavailableError` (from `@dyeline/routing`)
 * synchronously when no instance can serve it.
 */
export function routedGrpcClient<C extends Client>(options: RoutedGrpcClientOptions<C>): RoutedGrpcClient<C> {
  if (typeof options !== 'object' || options === null) throw new TypeError('routedGrpcClient: options must be an object');
  const { router, host, create, instances, onDecision, onError, runPolicy } = options;
  if (typeof router !== 'object' || router === null || typeof router.decide !== 'function') {
    throw new TypeError('routedGrpcClient: options.router must be a Router from @dyeline/routing');
  }
  if (typeof host !== 'string' || host === '') throw new TypeError('routedGrpcClient: options.host must be a non-empty service name');
  if (typeof create !== 'function') throw new TypeError('routedGrpcClient: options.create must be a function (address) => client');
  if (instances !== undefined && (typeof instances.current !== 'function' || typeof instances.subscribe !== 'function')) {
    throw new TypeError('routedGrpcClient: options.instances must be an InstanceSource');
  }
  for (const [name, value] of [['onDecision', onDecision], ['onError', onError], ['runPolicy', runPolicy], ['random', options.random]] as const) {
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`routedGrpcClient: options.${name} must be a function`);
  }
  const random = options.random ?? Math.random;
  const report = (error: unknown): void => {
    try {
      onError?.(error);
    } catch {
      // Observing must never break a call.
    }
  };

  const clients = new Map<string, C>();
  const methods = new Map<string, MethodAttributes>();
  let closed = false;

  const clientFor = (address: string): C => {
    let client = clients.get(address);
    if (client === undefined) {
      client = create(address);
      clients.set(address, client);
    }
    return client;
  };
  const closeClient = (address: string): void => {
    const client = clients.get(address);
    clients.delete(address);
    try {
      client?.close();
    } catch (error) {
      report(error);
    }
  };
  const unsubscribe = instances?.subscribe((list) => {
    const live = new Set(list.map(addressOf));
    for (const address of [...clients.keys()]) if (!live.has(address)) closeClient(address);
  });

  const viewOf = (path: string | undefined, metadata: Metadata | undefined): RouteRequest => ({
    host,
    path,
    method: 'POST',
    scheme: 'http',
    headers: metadata === undefined ? undefined : (header) => metadataAccessor.get(metadata, header),
  });
  const decide = (view: RouteRequest): RouteDecision => {
    const decision = router.decide(view, routingTag());
    if (onDecision !== undefined) {
      try {
        onDecision(decision);
      } catch (error) {
        report(error);
      }
    }
    return decision;
  };

  const attributes = (name: string): MethodAttributes => {
    let found = methods.get(name);
    if (found === undefined) {
      // The first call of a method: its path comes from the generated client class.
      const probe = clients.values().next().value ?? clientFor(addressOf(decide(viewOf(undefined, undefined)).instance));
      found = attributesOf(probe, name);
      if (found === undefined) throw new TypeError(`routedGrpcClient: ${name} is not a method of the ${host} client`);
      methods.set(name, found);
    }
    return found;
  };

  const call = (name: string, args: unknown[]): unknown => {
    if (closed) throw new Error(`routedGrpcClient: the ${host} client is closed`);
    const method = attributes(name);
    const normal = normalise(method, args);
    const view = viewOf(method.path, normal.metadata);
    const decision = decide(view);
    const ops = decision.policy.requestHeaders;
    if (ops !== undefined) {
      for (const header of ops.remove ?? []) normal.metadata.remove(header);
      for (const [header, value] of Object.entries(ops.set ?? {})) normal.metadata.set(header, value);
      for (const [header, value] of Object.entries(ops.add ?? {})) normal.metadata.add(header, value);
    }
    const unary = !method.requestStream && !method.responseStream;
    if (unary) mirror(name, decision, normal);
    // The policy runs the route timeout itself, from after an injected delay, as Envoy's router does.
    if (unary && runPolicy !== undefined) return runUnary(name, decision, view, normal, runPolicy);
    const timeoutMs = decision.policy.timeoutMs;
    if (timeoutMs !== undefined) {
      const ours = Date.now() + timeoutMs;
      const own = normal.options.deadline;
      if (own === undefined || (typeof own === 'number' ? own : own.getTime()) > ours) normal.options.deadline = ours;
    }
    const client = clientFor(addressOf(decision.instance));
    const end = router.begin(decision.instance);
    const result = ((client as unknown as Record<string, AnyMethod>)[name] as AnyMethod).apply(client, normal.args) as StatusEmitter;
    result.once('status', ({ code }) => {
      end();
      router.record(decision, decision.instance, AS_HTTP[code] ?? true);
    });
    return result;
  };

  /** Fires a copy of a unary call at each mirror destination the route names; replies are discarded. */
  const mirror = (name: string, decision: RouteDecision, normal: Normalised): void => {
    for (const target of decision.policy.mirrors) {
      if (random() * 100 >= target.percent) continue;
      try {
        const client = clientFor(addressOf(router.pick(target.host, target.subset, routingTag())));
        const [request] = normal.args;
        ((client as unknown as Record<string, AnyMethod>)[name] as AnyMethod).call(client, request, normal.metadata.clone(), { ...normal.options }, (error: ServiceError | null) => {
          if (error !== null) report(error);
        });
      } catch (error) {
        report(error);
      }
    }
  };

  /** A unary call through the route policy: each try goes to a fresh pick in the decision's subset and lane. */
  const runUnary = (name: string, decision: RouteDecision, view: RouteRequest, normal: Normalised, run: GrpcPolicyRunner): ClientUnaryCall => {
    const routed = new RoutedUnaryCall();
    const [request] = normal.args;
    const callback = normal.callback as (error: ServiceError | null, response?: unknown) => void;
    const tag = routingTag();
    const attempt = (n: number, signal: AbortSignal | undefined): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const instance = n === 1 ? decision.instance : router.pick(decision.host, decision.subset, tag, view);
        const client = clientFor(addressOf(instance));
        const end = router.begin(instance);
        const call = ((client as unknown as Record<string, AnyMethod>)[name] as AnyMethod).call(
          client,
          request,
          normal.metadata.clone(),
          { ...normal.options },
          (error: ServiceError | null, response?: unknown) => {
            if (error === null) resolve(response);
            else {
              routed.failed(error);
              reject(error);
            }
          },
        ) as ClientUnaryCall;
        routed.track(call);
        call.once('status', ({ code }: { code: status }) => {
          end();
          // A try cut by its own time limit counts against the instance, as Envoy counts a
          // per-try timeout; the caller's cancel or deadline does not.
          if (signal?.aborted === true) {
            if (isTimeoutError(signal.reason) && !routed.cancelled.aborted) router.record(decision, instance, false);
          } else router.record(decision, instance, AS_HTTP[code] ?? true);
        });
        signal?.addEventListener('abort', () => call.cancel(), { once: true });
      });
    run(decision.policy, attempt, routed.cancelled).then(
      (response) => settle(routed, callback, undefined, response),
      (error: unknown) => settle(routed, callback, error as ServiceError),
    );
    return routed;
  };

  const wrappers = new Map<string, AnyMethod>();
  const close = (): void => {
    closed = true;
    unsubscribe?.();
    for (const address of [...clients.keys()]) closeClient(address);
  };
  return new Proxy(Object.create(null) as C, {
    get(_target, name) {
      if (name === 'close') return close;
      // Not a thenable, not a channel: a routed client has one channel per instance.
      if (typeof name !== 'string' || name === 'then' || name === 'getChannel') return undefined;
      let wrapper = wrappers.get(name);
      if (wrapper === undefined) {
        wrapper = (...args: unknown[]) => call(name, args);
        wrappers.set(name, wrapper);
      }
      return wrapper;
    },
  });
}

