import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Tag } from './tag.js';

/** Options of {@link signTag}. */
export interface SignOptions {
  keyId: string;
  key: string | Buffer;
  /** Lifetime in seconds. Default 300. */
  ttlSeconds?: number;
  /** Unix seconds to sign at; default now. */
  now?: number;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Signatures claiming more than a day of life are refused, whatever the key. */
const MAX_TTL_SECONDS = 86_400;

// The fields covered, one per line, extras sorted: a change to any tag field,
// or to the expiry, changes the signature.
function canonical(tag: Tag, expiresAt: number): string {
  let text = `v1\n${expiresAt}\n${tag.color ?? ''}\n${tag.user ?? ''}\n${tag.shadow ? '1' : '0'}\n`;
  for (const key of Object.keys(tag.extra).sort()) text += `${key}=${tag.extra[key] ?? ''}\n`;
  return text;
}

function mac(key: string | Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/**
 * Produces the signature header value for `tag`:
 * `v1;kid=<key id>;exp=<unix seconds>;sig=<base64url HMAC-SHA256>`.
 * Load generators and edge proxies send it so that ingress trusts the tag.
 *
 * @throws {TypeError} when the key id, key or ttl are invalid.
 */
export function signTag(tag: Tag, options: SignOptions): string {
  if (typeof options.keyId !== 'string' || !KEY_ID.test(options.keyId)) {
    throw new TypeError('signTag: options.keyId must be 1-64 characters of [A-Za-z0-9._-]');
  }
  if (options.key === undefined || options.key.length === 0) throw new TypeError('signTag: options.key must be a non-empty secret');
  const ttl = options.ttlSeconds ?? 300;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new TypeError(`signTag: options.ttlSeconds must be an integer 1..${MAX_TTL_SECONDS}`);
  }
  const expiresAt = Math.floor(options.now ?? Date.now() / 1000) + ttl;
  const signature = mac(options.key, canonical(tag, expiresAt)).toString('base64url');
  return `v1;kid=${options.keyId};exp=${expiresAt};sig=${signature}`;
}

/**
 * Checks `header` against the tag the carrier claimed. Returns `undefined`
 * when valid, else why not. Compares in constant time.
 */
export function verifyTagSignature(
  header: string,
  tag: Tag,
  keys: ReadonlyMap<string, string | Buffer>,
  maxSkewSeconds: number,
  nowSeconds: number,
): string | undefined {
  if (header.length > 512) return 'signature header too long';
  const parts = header.split(';');
  if (parts[0] !== 'v1' || parts.length !== 4) return 'unknown signature format';
  const fields = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const eq = part.indexOf('=');
    if (eq === -1) return 'malformed signature field';
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const keyId = fields.get('kid') ?? '';
  const key = keys.get(keyId);
  if (key === undefined) return `unknown key id "${keyId.slice(0, 64)}"`;
  const expiresAt = Number(fields.get('exp'));
  if (!Number.isInteger(expiresAt)) return 'malformed expiry';
  if (expiresAt + maxSkewSeconds < nowSeconds) return 'signature expired';
  if (expiresAt - nowSeconds > MAX_TTL_SECONDS + maxSkewSeconds) return 'expiry too far in the future';
  const given = Buffer.from(fields.get('sig') ?? '', 'base64url');
  const expected = mac(key, canonical(tag, expiresAt));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature does not match the tag';
  return undefined;
}
