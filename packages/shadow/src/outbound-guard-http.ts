import type { ClientRequest, RequestOptions } from 'node:http';
import { ShadowIsolationError } from '@dyeline/core';
import type { OutboundGuard } from './outbound-guard.js';

/** Any `request`-shaped function of `node:http` or `node:https`. */
export type HttpRequestFunction = (...args: never[]) => ClientRequest;

function urlOf(args: readonly unknown[], defaultProtocol: string): string | URL | undefined {
  const [first, second] = args;
  if (typeof first === 'string' || first instanceof URL) return first;
  const options = (typeof first === 'object' && first !== null ? first : second) as RequestOptions | undefined;
  if (options === undefined) return undefined;
  const protocol = options.protocol ?? defaultProtocol;
  const host = options.hostname ?? options.host ?? 'localhost';
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const port = options.port === undefined || options.port === null ? '' : `:${String(options.port)}`;
  return `${protocol}//${bracketed}${port}${options.path ?? '/'}`;
}

function methodOf(args: readonly unknown[]): string {
  for (const arg of args) {
    if (typeof arg === 'object' && arg !== null && !(arg instanceof URL)) return ((arg as RequestOptions).method ?? 'GET').toUpperCase();
  }
  return 'GET';
}

/**
 * Returns `request` (`http.request`, `https.request`) guarded by `guard`.
 * A shadow request to a host not on the allow list gets a real
 * `ClientRequest` that emits `ShadowIsolationError` as its `'error'` and never
 * opens a socket (node:http has no place for a mock `Response`, so a
 * configured mock is not used here: the call is refused). Production
 * requests are the original call, untouched.
 *
 * @throws {TypeError} when `request` is not a function or `guard` not a guard.
 */
export function guardHttpRequest<F extends HttpRequestFunction>(request: F, guard: OutboundGuard, options: { protocol?: 'http:' | 'https:' } = {}): F {
  if (typeof request !== 'function') throw new TypeError('guardHttpRequest: request must be a function such as http.request');
  if (typeof guard !== 'object' || guard === null || typeof guard.check !== 'function') {
    throw new TypeError('guardHttpRequest: guard must come from createOutboundGuard');
  }
  const protocol = options.protocol ?? 'http:';
  const wrapped = function (this: unknown, ...args: Parameters<F>): ClientRequest {
    if (!guard.resolver.isShadow()) return Reflect.apply(request, this, args) as ClientRequest;
    const url = urlOf(args, protocol);
    let refusal: unknown;
    let pass = false;
    try {
      if (url === undefined) throw new ShadowIsolationError('outbound (unknown host)', 'Shadow http request refused: its host could not be read');
      const answer = guard.check(url, { method: methodOf(args) });
      if (answer === undefined) pass = true;
      else {
        void answer.body?.cancel().catch(() => undefined);
        refusal = new ShadowIsolationError(`outbound ${String(url)}`, `Shadow http request to ${String(url)} refused: node:http cannot be answered by a mock`);
      }
    } catch (error) {
      refusal = error;
    }
    if (pass) return Reflect.apply(request, this, args) as ClientRequest;
    const callback = args.find((arg) => typeof arg === 'function');
    // No agent, and a connection factory that fails: node:http reports the
    // error on the request without opening a socket.
    const blocked: RequestOptions = {
      host: 'refused.invalid',
      createConnection: () => {
        throw refusal;
      },
    };
    return Reflect.apply(request, this, callback === undefined ? [blocked] : [blocked, callback]) as ClientRequest;
  };
  Object.defineProperty(wrapped, 'name', { value: request.name });
  return wrapped as unknown as F;
}
