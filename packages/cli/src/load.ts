import autocannon from 'autocannon';
import { createTag, signTag } from '@dyeline/core';

/** Options of {@link runLoad}; validated before the first request (TypeError naming the option). */
export interface LoadOptions {
  /** The URL to load, `http://…` or `https://…`. */
  url: string;
  /** Requests per second over all connections. Default: as fast as the connections go. */
  rate?: number;
  /** Seconds. Default 10. */
  duration?: number;
  /** Send exactly this many requests, then stop (overrides `duration`). */
  amount?: number;
  /** Concurrent connections. Default 10. */
  connections?: number;
  /** The lane (`x-color`). */
  color?: string;
  /** The user (`x-user`). */
  user?: string;
  /** Mark the traffic as shadow (`x-shadow: 1`): a stress test whose writes must go to shadow targets. */
  shadow?: boolean;
  /** Extra tag entries, sent as headers of that name and covered by the signature. */
  extra?: Readonly<Record<string, string>>;
  /**
   * Signs the tag (core's `signTag`, HMAC-SHA256) so that the service's trust
   * policy believes it. Without it a public ingress drops the shadow mark.
   */
  signing?: { keyId: string; key: string | Buffer; header?: string };
  /** More headers, sent as they are (not part of the tag). */
  headers?: Readonly<Record<string, string>>;
  /** HTTP method. Default `GET`. */
  method?: string;
  /** Request body (with `method: 'POST'`…). */
  body?: string;
  /** Share of failed requests (connection errors, timeouts, non-2xx) above which the run fails. Default 0.01. */
  maxErrorRate?: number;
  /** Per-request timeout in seconds. Default 10. */
  timeout?: number;
  /** Stops the run early (the report covers what ran). */
  signal?: AbortSignal;
}

/** What a load run measured. */
export interface LoadReport {
  readonly url: string;
  /** Responses received. */
  readonly requests: number;
  /**
   * Requests sent. A few more than `requests` when the run stops with
   * requests in flight: the service may still handle (and write for) them.
   */
  readonly sent: number;
  readonly requestsPerSecond: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly non2xx: number;
  /** Connection errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** `(errors + non2xx) / (requests + errors)`. */
  readonly errorRate: number;
  readonly durationSeconds: number;
  /** The headers every request carried (the signature shortened). */
  readonly tagHeaders: Readonly<Record<string, string>>;
  /** False when the error rate is above `maxErrorRate` or nothing was answered. */
  readonly ok: boolean;
}

// The default value rule of @dyeline/core's codec: a value it would drop
// would break the signature, so it is refused here, before any request.
const TAG_VALUE = /^[A-Za-z0-9._~:@/+-]{1,128}$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const MAX_TTL_SECONDS = 86_400;

function positive(option: string, value: number | undefined, fallback: number | undefined, integer: boolean): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new TypeError(`runLoad: options.${option} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return value;
}

function tagValue(option: string, value: string | undefined): string | undefined {
  if (value !== undefined && (typeof value !== 'string' || !TAG_VALUE.test(value))) {
    throw new TypeError(`runLoad: options.${option} must be 1-128 characters of [A-Za-z0-9._~:@/+-], got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The headers that carry the tag of a load run: `x-color`, `x-user`,
 * `x-shadow: 1`, the extra entries, and — with `signing` — the signature
 * header (`x-dyeline-signature: v1;kid=…;exp=…;sig=…`) valid for the whole run.
 *
 * @throws {TypeError} naming the option when a tag value or the signing key is invalid.
 */
export function buildTagHeaders(options: Pick<LoadOptions, 'color' | 'user' | 'shadow' | 'extra' | 'signing' | 'duration'>): Record<string, string> {
  const color = tagValue('color', options.color);
  const user = tagValue('user', options.user);
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (!HEADER_NAME.test(key)) throw new TypeError(`runLoad: options.extra key ${JSON.stringify(key)} must be a lowercase header name`);
    extra[key] = tagValue(`extra.${key}`, value) as string;
  }
  const headers: Record<string, string> = { ...extra };
  if (color !== undefined) headers['x-color'] = color;
  if (user !== undefined) headers['x-user'] = user;
  if (options.shadow === true) headers['x-shadow'] = '1';
  if (options.signing !== undefined) {
    const header = options.signing.header ?? 'x-dyeline-signature';
    if (!HEADER_NAME.test(header)) throw new TypeError('runLoad: options.signing.header must be a lowercase header name');
    // Valid for the whole run plus a minute of slack; the policy caps it at a day.
    const ttlSeconds = Math.min(MAX_TTL_SECONDS, Math.ceil(options.duration ?? 10) + 60);
    const tag = createTag({ color, user, shadow: options.shadow === true, extra });
    headers[header] = signTag(tag, { keyId: options.signing.keyId, key: options.signing.key, ttlSeconds });
  }
  return headers;
}

/**
 * Sends load at `url` with autocannon, every request carrying the (signed)
 * tag, and reports throughput, latency and failures.
 *
 * @throws {TypeError} naming the option when the options are invalid (before any request).
 */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  if (typeof options.url !== 'string' || !/^https?:\/\/./.test(options.url)) {
    throw new TypeError(`runLoad: options.url must be an http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  const rate = positive('rate', options.rate, undefined, false);
  const duration = positive('duration', options.duration, 10, false) as number;
  const connections = positive('connections', options.connections, 10, true) as number;
  const amount = positive('amount', options.amount, undefined, true);
  const timeout = positive('timeout', options.timeout, 10, false) as number;
  const maxErrorRate = options.maxErrorRate ?? 0.01;
  if (typeof maxErrorRate !== 'number' || !(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    throw new TypeError(`runLoad: options.maxErrorRate must be a number 0..1, got ${String(options.maxErrorRate)}`);
  }
  const tagHeaders = buildTagHeaders({ ...options, duration });
  for (const key of Object.keys(options.headers ?? {})) {
    if (!HEADER_NAME.test(key.toLowerCase())) throw new TypeError(`runLoad: options.headers has an invalid header name ${JSON.stringify(key)}`);
  }
  const headers = { ...options.headers, ...tagHeaders };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections,
        duration,
        timeout,
        headers,
        ...(rate === undefined ? {} : { overallRate: rate }),
        ...(amount === undefined ? {} : { amount }),
        ...(options.method === undefined ? {} : { method: options.method as autocannon.Request['method'] }),
        ...(options.body === undefined ? {} : { body: options.body }),
      },
      (error: unknown, done: autocannon.Result) => (error ? reject(error as Error) : resolve(done)),
    );
    options.signal?.addEventListener('abort', () => instance.stop(), { once: true });
  });
  const requests = result.requests.total;
  const attempts = requests + result.errors;
  const errorRate = attempts === 0 ? 1 : (result.errors + result.non2xx) / attempts;
  const shown = { ...tagHeaders };
  for (const [key, value] of Object.entries(shown)) if (value.startsWith('v1;kid=')) shown[key] = `${value.slice(0, value.indexOf(';sig=') + 5)}…`;
  return {
    url: options.url,
    requests,
    sent: Math.max(requests, result.requests.sent),
    requestsPerSecond: result.duration > 0 ? requests / result.duration : 0,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    errorRate,
    durationSeconds: result.duration,
    tagHeaders: shown,
    ok: requests > 0 && errorRate <= maxErrorRate,
  };
}
