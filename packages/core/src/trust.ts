// STUB — signatures are fixed; the core-wire helper implements the bodies.
import type { Tag } from './tag.js';

/** What a trust decision may look at. */
export interface TrustRequest {
  readonly remoteAddress: string | undefined;
  /** Reads a header / metadata entry by lowercase name. */
  header(name: string): string | undefined;
}

/** Options of {@link createTrustPolicy}. */
export interface TrustOptions {
  /** Tag fields an untrusted caller may set. Default `[]`. `shadow` is never allowed here. */
  allowUntrusted?: readonly ('color' | 'user' | 'extra')[];
  /** Callers whose remote address is in one of these CIDRs are trusted (e.g. `10.0.0.0/8`, `::1/128`). */
  trustedCidrs?: readonly string[];
  /** HMAC-signed tags: a valid signature makes the signed fields trusted. */
  signing?: {
    /** Key id → secret (≥ 32 bytes recommended). */
    keys: Readonly<Record<string, string | Buffer>>;
    /** Header carrying the signature. Default `x-dyeline-signature`. */
    header?: string;
    /** Allowed clock skew in seconds. Default 30. */
    maxSkewSeconds?: number;
  };
  /** Your own decision; runs after CIDR and before signature checks. */
  isTrusted?: (request: TrustRequest) => boolean;
}

/** The result of judging one request. */
export interface TrustDecision {
  readonly trusted: boolean;
  /** How trust was established, for logs and metrics. */
  readonly via: 'cidr' | 'signature' | 'function' | 'none';
  /** Set when a signature was present but invalid (tampered, expired, unknown key). */
  readonly signatureError: string | undefined;
}

/** Decides what a caller may set. */
export interface TrustPolicy {
  judge(request: TrustRequest, claimed: Tag): TrustDecision;
  /** Removes what an untrusted caller may not set. */
  restrict(claimed: Tag): Tag;
}

/** @throws {TypeError} naming the option when the options are invalid. */
export function createTrustPolicy(_options?: TrustOptions): TrustPolicy {
  throw new Error('not implemented');
}

/** Options of {@link signTag}. */
export interface SignOptions {
  keyId: string;
  key: string | Buffer;
  /** Lifetime in seconds. Default 300. */
  ttlSeconds?: number;
  /** Unix seconds to sign at; default now. */
  now?: number;
}

/** Produces the signature header value for `tag`, for load generators and edge proxies. */
export function signTag(_tag: Tag, _options: SignOptions): string {
  throw new Error('not implemented');
}
