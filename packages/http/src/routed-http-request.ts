import http from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import { urlToHttpOptions } from 'node:url';
import type { RouteRequest } from '@dyeline/routing';
import { applyHeaderOps, createRouteCaller, originOf, recordFailure, routingTag } from './route-call.js';
import type { RoutedClientOptions } from './route-call.js';
import type { HttpRequestFunction } from './wrap-http-request.js';

/** Options of {@link routedHttpRequest}. */
export interface RoutedHttpRequestOptions extends RoutedClientOptions {
  /** The `request` to send with (`http.request`, `https.request`, or a wrapped one). Default: `http.request` at call time, so an installed propagation composes. */
  request?: HttpRequestFunction;
  /** Bytes of a request body kept for a mirror; a larger body is not mirrored (reported). Default 1 MiB. */
  mirrorBodyLimit?: number;
}

type Callback = (response: IncomingMessage) => void;
type Chunk = string | Uint8Array;

function normalise(args: unknown[]): { options: RequestOptions; callback: Callback | undefined } {
  let [first, second, third] = args;
  let options: RequestOptions = {};
  if (typeof first === 'string' || first instanceof URL) {
    options = urlToHttpOptions(typeof first === 'string' ? new URL(first) : first) as RequestOptions;
    if (typeof second === 'function') {
      third = second;
      second = undefined;
    }
    if (second !== undefined && second !== null) options = { ...options, ...(second as RequestOptions) };
  } else {
    options = { ...(first as RequestOptions | undefined) };
    third = second;
  }
  return { options, callback: typeof third === 'function' ? (third as Callback) : undefined };
}

function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Collects what the caller writes, up to `limit` bytes, for the mirror copy. */
function teeBody(request: ClientRequest, limit: number, onEnd: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const keep = (chunk: unknown, encoding: unknown): void => {
    if (overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > limit) {
      overflow = true;
      chunks.length = 0;
    } else chunks.push(buffer);
  };
  const write = request.write.bind(request) as (...a: unknown[]) => boolean;
  const end = request.end.bind(request) as (...a: unknown[]) => ClientRequest;
  (request as { write: unknown }).write = (...a: unknown[]): boolean => {
    keep(a[0], a[1]);
    return write(...a);
  };
  (request as { end: unknown }).end = (...a: unknown[]): ClientRequest => {
    keep(a[0], a[1]);
    const result = end(...a);
    onEnd(overflow ? undefined : Buffer.concat(chunks));
    return result;
  };
}

/**
 * Returns a drop-in `http.request` that sends calls to logical hosts
 * (`http://greeter/hello`) to the instance the router chooses for the current
 * tag. Route header edits apply; mirrors get a fire-and-forget copy of the
 * request (body included, up to `mirrorBodyLimit`) once the caller ends it; the
 * route timeout aborts the request. Retries and fault injection need a body
 * that can be replayed and a promise to run them on: use `routedFetch` or
 * `routedAxios` for those (`runPolicy` is not applied here). Other hosts pass
 * through untouched.
 *
 * @throws {TypeError} naming the option when options are malformed.
 */
export function routedHttpRequest(options: RoutedHttpRequestOptions): typeof http.request {
  const caller = createRouteCaller('routedHttpRequest', options, ['request']);
  if (options.runPolicy !== undefined) throw new TypeError('routedHttpRequest: runPolicy is not supported by the streaming node:http API; use routedFetch or routedAxios');
  const limit = options.mirrorBodyLimit ?? 1024 * 1024;
  if (!Number.isInteger(limit) || limit < 0) throw new TypeError('routedHttpRequest: mirrorBodyLimit must be a non-negative integer');
  const send = (options.request as ((...a: unknown[]) => ClientRequest) | undefined) ?? ((...a: unknown[]) => (http.request as (...b: unknown[]) => ClientRequest)(...a));

  const routed = function (this: unknown, ...args: unknown[]): ClientRequest {
    const { options: target, callback } = normalise(args);
    const logical = bareHost(target.hostname ?? target.host ?? 'localhost');
    if (!caller.routes(logical)) return Reflect.apply(send, this, args);
    const protocol = target.protocol ?? 'http:';
    const headers: OutgoingHttpHeaders = {};
    if (target.headers !== undefined && !Array.isArray(target.headers)) for (const [k, v] of Object.entries(target.headers)) headers[k.toLowerCase()] = v;
    const path = target.path ?? '/';
    const method = (target.method ?? 'GET').toUpperCase();
    const tag = routingTag();
    const view: RouteRequest = { host: logical, path, method, scheme: protocol.slice(0, -1), headers: headers as RouteRequest['headers'] };
    const decision = caller.decide(view, tag);
    applyHeaderOps(decision.policy.requestHeaders, {
      remove: (n) => delete headers[n.toLowerCase()],
      set: (n, v) => (headers[n.toLowerCase()] = v),
      append: (n, v) => {
        const name = n.toLowerCase();
        const old = headers[name];
        headers[name] = old === undefined ? v : ([] as string[]).concat(old as string | string[], v).map(String);
      },
    });
    const to = (origin: string): RequestOptions => {
      const url = new URL(origin);
      const { host: _host, ...rest } = target;
      return { ...rest, protocol, hostname: bareHost(url.hostname), port: url.port === '' ? undefined : Number(url.port), headers: { ...headers } };
    };
    const timeoutMs = decision.policy.timeoutMs;
    const signals = [target.signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
    const main = { ...to(originOf(decision.instance, protocol)), signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals) };
    const end = caller.router.begin(decision.instance);
    const request = (callback === undefined ? Reflect.apply(send, this, [main]) : Reflect.apply(send, this, [main, callback])) as ClientRequest;
    request.once('close', end);
    // Outlier detection hears how the call ended: a status, or a connection failure before one.
    let answered = false;
    request.once('response', (response: IncomingMessage) => {
      answered = true;
      caller.router.record(decision, decision.instance, response.statusCode ?? 0);
    });
    // Observed through emit, not a listener: adding one would swallow errors the caller does not handle.
    const emit = request.emit.bind(request) as (event: string | symbol, ...rest: unknown[]) => boolean;
    (request as { emit: unknown }).emit = (event: string | symbol, ...rest: unknown[]): boolean => {
      if (event === 'error' && !answered) {
        answered = true;
        recordFailure(caller.router, decision, decision.instance, rest[0]);
      }
      return emit(event, ...rest);
    };
    if (decision.policy.mirrors.length > 0) {
      teeBody(request, limit, (body) => {
        if (body === undefined) {
          caller.report(new TypeError(`routedHttpRequest: a body over mirrorBodyLimit (${limit} bytes) is not mirrored`));
          return;
        }
        caller.mirror(decision, tag, protocol, (origin) => mirrorCopy(send, { ...to(origin), signal: undefined }, body));
      });
    }
    return request;
  };
  Object.defineProperty(routed, 'name', { value: 'request' });
  return routed as unknown as typeof http.request;
}

function mirrorCopy(send: (...a: unknown[]) => ClientRequest, options: RequestOptions, body: Chunk): Promise<void> {
  return new Promise((resolve, reject) => {
    const copy = send(options, (response: IncomingMessage) => {
      // The mirror's response is discarded.
      response.resume();
      response.once('end', resolve);
      response.once('error', reject);
    });
    copy.once('error', reject);
    copy.end(body);
  });
}
