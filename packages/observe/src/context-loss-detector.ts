import { syncBuiltinESMExports } from 'node:module';
import diagnosticsChannel from 'node:diagnostics_channel';
import http from 'node:http';
import https from 'node:https';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { createCodec, currentContext, incomingHeadersGetter } from '@dyeline/core';
import type { CodecOptions } from '@dyeline/core';
import { captureCallSite } from './call-site.js';
import type { CallSite } from './call-site.js';

/** One call that ran without a tag while a tagged request was being served. */
export interface ContextLossReport extends CallSite {
  /** `http` (node:http/https), `fetch` (undici, global fetch) or what {@link ContextLossDetector.check} was given. */
  readonly kind: string;
  /** What was called, e.g. `GET http://10.0.0.7:8080/orders`. */
  readonly target: string;
  /** Tagged requests being served when it happened. */
  readonly taggedInFlight: number;
}

/** Options of {@link contextLossDetector}. */
export interface ContextLossDetectorOptions {
  /** Receives every report. Errors thrown here are swallowed. */
  onReport: (report: ContextLossReport) => void;
  /** Codec options of your ingress; an incoming HTTP request whose headers carry a tag under them counts as tagged. */
  codec?: CodecOptions;
  /** A call this long (ms) after the last tagged request ended still counts (fire-and-forget work). Default 1000. */
  lingerMs?: number;
  /** Application frames kept per report. Default 6. */
  stackDepth?: number;
  /** Report each call site once. Default true. */
  once?: boolean;
  /**
   * Wrap `http.request`/`get` and `https.request`/`get` while the detector is on, to
   * capture call sites (Node 20 publishes `http.client.request.start` a tick after the
   * call, when the caller's frames are gone). Default true.
   */
  captureHttpCallSites?: boolean;
}

/** A running detector. */
export interface ContextLossDetector {
  /** Reports if the current code runs with no tag while a tagged request is served; for datastore adapters. */
  check(kind: string, target: string): void;
  /** Counts a non-HTTP request (gRPC, a queue consumer) as tagged until the returned function is called. */
  trackRequest(): () => void;
  /** Stops listening and restores `http`/`https`. */
  close(): void;
}

type RequestFn = typeof http.request;

/**
 * A debug mode that reports (through `onReport`) outbound HTTP calls, fetch
 * calls and datastore calls (through `check`) that run with no dyeline
 * context while a tagged request is being served — the mark of a callback
 * that a pool, queue or emitter created outside the request calls back
 * later, where AsyncLocalStorage cannot follow. Each report names the call site.
 *
 * How "inside a request that had a tag" is known once the store is gone: the
 * store itself is the only per-request link AsyncLocalStorage has, and a lost
 * callback has none. So the detector counts tagged requests in flight
 * (`http.server.request.start`, the request's headers read with your codec)
 * and reports any call made with *no* dyeline context at all (inside a
 * request, even an untagged one, the store holds the empty tag) while one is
 * in flight or ended less than `lingerMs` ago. Background work that runs
 * during traffic is reported too; that is the point of a debug mode — bind it
 * with `bindToCurrentContext` or ignore its call site.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function contextLossDetector(options: ContextLossDetectorOptions): ContextLossDetector {
  if (typeof options !== 'object' || options === null || typeof options.onReport !== 'function') {
    throw new TypeError('contextLossDetector: options.onReport must be a function');
  }
  const lingerMs = options.lingerMs ?? 1000;
  const depth = options.stackDepth ?? 6;
  if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new TypeError('contextLossDetector: options.lingerMs must be a number >= 0');
  if (!Number.isInteger(depth) || depth < 1) throw new TypeError('contextLossDetector: options.stackDepth must be a positive integer');
  const codec = createCodec(options.codec ?? {});
  const onReport = options.onReport;
  const once = options.once ?? true;
  const reported = new Set<string>();
  const sites = new WeakMap<object, CallSite>();
  let inFlight = 0;
  let lastEnd = -Infinity;

  const suspicious = (): boolean =>
    currentContext() === undefined && (inFlight > 0 || performance.now() - lastEnd <= lingerMs);

  const report = (kind: string, target: string, site: CallSite): void => {
    const key = `${kind} ${site.callSite ?? target}`;
    if (once) {
      if (reported.has(key)) return;
      if (reported.size < 10_000) reported.add(key);
    }
    try {
      onReport({ kind, target, callSite: site.callSite, stack: site.stack, taggedInFlight: inFlight });
    } catch {
      // A debug aid must not break the request it watches.
    }
  };

  const trackRequest = (): (() => void) => {
    inFlight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      inFlight--;
      lastEnd = performance.now();
    };
  };

  const onServerStart = (message: unknown): void => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (codec.extract(request.headers, incomingHeadersGetter).fields.length === 0) return;
    response.once('close', trackRequest());
  };

  const onClientStart = (message: unknown): void => {
    if (!suspicious()) return;
    const request = (message as { request: ClientRequest }).request;
    const site = sites.get(request) ?? captureCallSite(onClientStart, depth);
    // `host` lacks the port; the Host header has it.
    const host = request.getHeader('host') ?? request.host;
    report('http', `${request.method} ${request.protocol}//${String(host)}${request.path}`, site);
  };

  const onUndiciCreate = (message: unknown): void => {
    if (!suspicious()) return;
    const request = (message as { request: { method?: string; origin?: unknown; path?: string } }).request;
    report('fetch', `${request.method ?? 'GET'} ${String(request.origin ?? '')}${request.path ?? ''}`, captureCallSite(onUndiciCreate, depth));
  };

  const channels: [string, (message: unknown) => void][] = [
    ['http.server.request.start', onServerStart],
    ['http.client.request.start', onClientStart],
    ['undici:request:create', onUndiciCreate],
  ];
  for (const [name, fn] of channels) diagnosticsChannel.subscribe(name, fn);

  const restore: (() => void)[] = [];
  if (options.captureHttpCallSites ?? true) {
    for (const mod of [http, https] as { request: RequestFn; get: RequestFn }[]) {
      for (const name of ['request', 'get'] as const) {
        const original = mod[name];
        const wrapped = function (this: unknown, ...args: Parameters<RequestFn>): ClientRequest {
          const request = (original as (...a: unknown[]) => ClientRequest).apply(this, args);
          if (suspicious()) sites.set(request, captureCallSite(wrapped, depth));
          return request;
        } as RequestFn;
        mod[name] = wrapped;
        restore.push(() => {
          if (mod[name] === wrapped) mod[name] = original;
        });
      }
    }
    syncBuiltinESMExports();
  }

  function check(kind: string, target: string): void {
    if (suspicious()) report(kind, target, captureCallSite(check, depth));
  }

  return {
    check,
    trackRequest,
    close() {
      for (const [name, fn] of channels) diagnosticsChannel.unsubscribe(name, fn);
      for (const undo of restore) undo();
      if (restore.length > 0) syncBuiltinESMExports();
    },
  };
}
