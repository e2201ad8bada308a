import { AxiosError, AxiosHeaders, getAdapter } from 'axios';
import type { AxiosAdapter, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { RouteRequest } from '@dyeline/routing';
import { applyHeaderOps, createRouteCaller, routingTag } from './route-call.js';
import type { RoutedClientOptions } from './route-call.js';

/** Options of {@link routedAxios}. */
export type RoutedAxiosOptions = RoutedClientOptions;

function fullUrl(config: InternalAxiosRequestConfig): URL | undefined {
  const url = config.url ?? '';
  const base = config.baseURL;
  const joined = /^[a-z][a-z\d+.-]*:\/\//i.test(url) || base === undefined || base === '' ? url : `${base.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
  try {
    return new URL(joined);
  } catch {
    return undefined;
  }
}

function joinSignals(a: unknown, b: AbortSignal | undefined): AbortSignal | undefined {
  const signals = [a instanceof AbortSignal ? a : undefined, b].filter((s): s is AbortSignal => s !== undefined);
  return signals.length <= 1 ? signals[0] : AbortSignal.any(signals);
}

/** What axios' own `settle` does: reject when `validateStatus` says no. */
function settle(config: InternalAxiosRequestConfig, response: AxiosResponse): AxiosResponse {
  response.config = config;
  const validate = config.validateStatus;
  if (validate === undefined || validate === null || validate(response.status)) return response;
  const code = response.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST;
  throw new AxiosError(`Request failed with status code ${response.status}`, code, config, response.request, response);
}

/**
 * Makes `instance` send calls to logical hosts (`http://greeter/hello`) to the
 * instance the router chooses for the current tag, by wrapping its adapter:
 * request interceptors (tag propagation included) run first, then the route
 * decides. Route header edits apply; mirrors get a fire-and-forget copy that
 * never delays or fails the main call; the route's timeout, retries and fault
 * are applied by `runPolicy`, a retry picking again in the same subset and
 * lane. Other hosts, and calls that set their own `adapter`, pass through.
 * Returns a function that restores the previous adapter.
 *
 * @throws {TypeError} when `instance` is not an axios instance or an option is malformed.
 */
export function routedAxios(instance: AxiosInstance, options: RoutedAxiosOptions): () => void {
  if (typeof (instance as Partial<AxiosInstance> | undefined)?.defaults !== 'object') {
    throw new TypeError('routedAxios: instance must be an axios instance (axios.create() or the default axios)');
  }
  const caller = createRouteCaller('routedAxios', options);
  const previous = instance.defaults.adapter;
  const original: AxiosAdapter = getAdapter(previous);

  const adapter: AxiosAdapter = async (config) => {
    const url = fullUrl(config);
    if (url === undefined || !caller.routes(url.hostname)) return original(config);
    const headers = AxiosHeaders.from(config.headers);
    const method = (config.method ?? 'get').toUpperCase();
    const tag = routingTag();
    const pathAndQuery = `${url.pathname}${url.search}`;
    const view: RouteRequest = {
      host: url.hostname,
      path: pathAndQuery,
      method,
      scheme: url.protocol.slice(0, -1),
      headers: (name) => {
        const value: unknown = headers.get(name);
        return value === undefined || value === null || value === false ? undefined : String(value);
      },
    };
    const decision = caller.decide(view, tag);
    applyHeaderOps(decision.policy.requestHeaders, {
      remove: (n) => headers.delete(n),
      set: (n, v) => headers.set(n, v),
      append: (n, v) => {
        const old: unknown = headers.get(n);
        headers.set(n, old === undefined || old === null || old === false ? v : `${String(old)}, ${v}`);
      },
    });
    // `baseURL` is folded into the instance URL; `params` stay for the original adapter to append.
    const to = (origin: string, signal: AbortSignal | undefined): InternalAxiosRequestConfig => ({
      ...config,
      url: `${origin}${pathAndQuery}`,
      baseURL: undefined,
      headers: AxiosHeaders.from(headers),
      signal,
      // Status handling stays with this adapter, so the runner sees every status.
      validateStatus: () => true,
    });
    if (decision.policy.mirrors.length > 0) {
      caller.mirror(decision, tag, url.protocol, (origin) => original(to(origin, undefined)));
    }
    const response = await caller.run(decision, tag, view, url.protocol, {
      send: (origin, signal) => original(to(origin, joinSignals(config.signal, signal))),
      status: (res) => res.status,
      async fromResponse(res) {
        const data = await res.text();
        return { data, status: res.status, statusText: res.statusText, headers: AxiosHeaders.from(Object.fromEntries(res.headers)), config, request: undefined };
      },
    });
    return settle(config, response);
  };
  instance.defaults.adapter = adapter;
  return () => {
    if (instance.defaults.adapter === adapter) instance.defaults.adapter = previous;
  };
}
