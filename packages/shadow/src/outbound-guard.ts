import { ShadowIsolationError } from '@dyeline/core';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** What a mock sees of the refused call. */
export interface OutboundCall {
  /** HTTP method, upper case. */
  method: string;
  /** Request headers as given by the caller, if any. */
  headers?: unknown;
}

/** Options of {@link createOutboundGuard}. */
export interface OutboundGuardOptions {
  /**
   * Hosts shadow traffic may call: `'payments.internal'` (any port),
   * `'*.sandbox.example'` (any subdomain, not the apex), `'127.0.0.1:8080'` or
   * `'[::1]:8080'` (that port only). Case-insensitive.
   */
  allow: readonly string[];
  /**
   * Answers a shadow call to a host not on the list; `undefined` means no
   * answer: the call is refused with `ShadowIsolationError`. Must not throw
   * (a throw refuses the call).
   */
  mock?: (url: URL, call: OutboundCall) => Response | undefined;
  /** The resolver that reads the tag. Default: `createShadowResolver()`. */
  resolver?: ShadowResolver;
}

/** The guard's decision for one outbound call: go ahead (`undefined`) or answer with a mock `Response`. */
export type OutboundDecision = Response | undefined;

/** Decides whether the current request may make an outbound call. */
export interface OutboundGuard {
  /**
   * The hook every client wrapper calls before connecting: `undefined` → go
   * ahead (production traffic always does, untouched); a `Response` → answer
   * with this mock and make no connection.
   *
   * @throws {ShadowIsolationError} for shadow traffic to a host not on the allow list with no mock answer.
   */
  check(url: string | URL, call?: OutboundCall): OutboundDecision;
  /** True when `url`'s host (and port) is on the allow list. */
  isAllowed(url: string | URL): boolean;
  /** The resolver in use. */
  readonly resolver: ShadowResolver;
}

interface Rule {
  host: string;
  wildcard: boolean;
  port: string | undefined;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

function parseRule(entry: unknown, index: number): Rule {
  const option = `createOutboundGuard: option "allow[${index}]"`;
  if (typeof entry !== 'string' || entry.trim() === '') throw new TypeError(`${option} must be a non-empty host`);
  const wildcard = entry.startsWith('*.');
  const rest = wildcard ? entry.slice(2) : entry;
  if (rest.includes('*') || rest.includes('/') || rest.includes('@') || /\s/.test(rest)) {
    throw new TypeError(`${option} must be "host", "host:port" or "*.domain", got "${entry}"`);
  }
  let url: URL;
  try {
    url = new URL(`http://${rest}`);
  } catch (error) {
    throw new TypeError(`${option} is not a valid host: "${entry}"`, { cause: error });
  }
  const explicitPort = /:\d+$/.test(rest) ? rest.slice(rest.lastIndexOf(':') + 1) : undefined;
  if (explicitPort !== undefined && wildcard) throw new TypeError(`${option}: a wildcard entry cannot name a port`);
  return { host: url.hostname.replace(/\.$/, ''), wildcard, port: explicitPort === undefined ? undefined : String(Number(explicitPort)) };
}

/**
 * Creates the outbound guard: shadow traffic may reach only hosts on the allow
 * list; any other call gets the mock answer or a `ShadowIsolationError`, and
 * no connection is made. Production traffic is never inspected.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createOutboundGuard(options: OutboundGuardOptions): OutboundGuard {
  if (typeof options !== 'object' || options === null) throw new TypeError('createOutboundGuard: options must be an object');
  if (!Array.isArray(options.allow)) throw new TypeError('createOutboundGuard: option "allow" must be an array of hosts');
  const rules = options.allow.map(parseRule);
  if (options.mock !== undefined && typeof options.mock !== 'function') {
    throw new TypeError('createOutboundGuard: option "mock" must be a function');
  }
  if (options.resolver !== undefined && (typeof options.resolver !== 'object' || typeof options.resolver.isShadow !== 'function')) {
    throw new TypeError('createOutboundGuard: option "resolver" must be a ShadowResolver');
  }
  const resolver = options.resolver ?? createShadowResolver();
  const mock = options.mock;

  function allowed(url: URL): boolean {
    const host = url.hostname.toLowerCase().replace(/\.$/, '');
    const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : url.port;
    for (const rule of rules) {
      if (rule.port !== undefined && rule.port !== port) continue;
      if (rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host) return true;
    }
    return false;
  }

  function toUrl(url: string | URL): URL | undefined {
    try {
      return typeof url === 'string' ? new URL(url) : url;
    } catch {
      return undefined;
    }
  }

  return Object.freeze({
    resolver,
    isAllowed(url: string | URL): boolean {
      const parsed = toUrl(url);
      return parsed !== undefined && allowed(parsed);
    },
    check(url: string | URL, call: OutboundCall = { method: 'GET' }): OutboundDecision {
      if (!resolver.isShadow()) return undefined;
      const parsed = toUrl(url);
      if (parsed !== undefined && allowed(parsed)) return undefined;
      const host = parsed === undefined ? String(url) : parsed.host;
      let answer: Response | undefined;
      if (mock !== undefined && parsed !== undefined) {
        try {
          answer = mock(parsed, call);
        } catch (error) {
          throw new ShadowIsolationError(`outbound ${host}`, `Shadow call to ${host} refused: the mock threw`, { cause: error });
        }
      }
      if (answer !== undefined) return answer;
      throw new ShadowIsolationError(`outbound ${host}`, `Shadow call to ${host} refused: the host is not on the outbound allow list`);
    },
  });
}
