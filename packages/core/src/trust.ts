import { compileCidrs } from './cidr.js';
import { verifyTagSignature } from './signing.js';
import { EMPTY_TAG, createTag } from './tag.js';
import type { Tag } from './tag.js';

export { signTag } from './signing.js';
export type { SignOptions } from './signing.js';

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
  /**
   * The decision when the remote address alone settles it (a trusted CIDR),
   * else `undefined`: then {@link TrustPolicy.judge} decides. Lets ingress
   * skip building a {@link TrustRequest} for the callers it trusts by address.
   */
  judgeAddress(remoteAddress: string | undefined): TrustDecision | undefined;
  /** Removes what an untrusted caller may not set. */
  restrict(claimed: Tag): Tag;
  /** The header that carries signed tags, or `undefined` without signing. */
  readonly signatureHeader: string | undefined;
}

const BY_CIDR: TrustDecision = Object.freeze({ trusted: true, via: 'cidr', signatureError: undefined });
const BY_FUNCTION: TrustDecision = Object.freeze({ trusted: true, via: 'function', signatureError: undefined });
const BY_SIGNATURE: TrustDecision = Object.freeze({ trusted: true, via: 'signature', signatureError: undefined });
const UNTRUSTED: TrustDecision = Object.freeze({ trusted: false, via: 'none', signatureError: undefined });

/**
 * Builds the policy that decides which tag fields a caller may set. By
 * default nobody is trusted and an untrusted caller may set nothing: the tag
 * is whatever the edge derives.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createTrustPolicy(options: TrustOptions = {}): TrustPolicy {
  const allow = new Set(options.allowUntrusted ?? []);
  for (const field of allow) {
    if (field !== 'color' && field !== 'user' && field !== 'extra') {
      throw new TypeError(
        `createTrustPolicy: options.allowUntrusted may hold 'color', 'user' and 'extra' only, got ${JSON.stringify(field)}` +
          ((field as string) === 'shadow' ? ' (shadow is only ever set by trusted callers)' : ''),
      );
    }
  }
  if (options.trustedCidrs !== undefined && !Array.isArray(options.trustedCidrs)) {
    throw new TypeError('createTrustPolicy: options.trustedCidrs must be an array of CIDR strings');
  }
  const cidrs = options.trustedCidrs === undefined || options.trustedCidrs.length === 0
    ? undefined
    : compileCidrs('createTrustPolicy: options.trustedCidrs', options.trustedCidrs);
  if (options.isTrusted !== undefined && typeof options.isTrusted !== 'function') {
    throw new TypeError('createTrustPolicy: options.isTrusted must be a function');
  }
  const isTrusted = options.isTrusted;
  let keys: Map<string, string | Buffer> | undefined;
  let signatureHeader: string | undefined;
  let maxSkew = 30;
  if (options.signing !== undefined) {
    const entries = Object.entries(options.signing.keys ?? {});
    if (entries.length === 0) throw new TypeError('createTrustPolicy: options.signing.keys must name at least one key');
    for (const [id, key] of entries) {
      if ((typeof key !== 'string' && !Buffer.isBuffer(key)) || key.length < 16) {
        throw new TypeError(`createTrustPolicy: options.signing.keys.${id} must be a secret of at least 16 bytes`);
      }
    }
    keys = new Map(entries);
    signatureHeader = options.signing.header ?? 'x-dyeline-signature';
    if (!/^[a-z0-9-]+$/.test(signatureHeader)) throw new TypeError('createTrustPolicy: options.signing.header must be a lowercase header name');
    maxSkew = options.signing.maxSkewSeconds ?? 30;
    if (!Number.isInteger(maxSkew) || maxSkew < 0 || maxSkew > 3600) {
      throw new TypeError('createTrustPolicy: options.signing.maxSkewSeconds must be an integer 0..3600');
    }
  }

  const judgeAddress = (remoteAddress: string | undefined): TrustDecision | undefined =>
    cidrs?.has(remoteAddress) === true ? BY_CIDR : undefined;

  return {
    signatureHeader,
    judgeAddress,
    judge(request, claimed) {
      const byAddress = judgeAddress(request.remoteAddress);
      if (byAddress !== undefined) return byAddress;
      if (isTrusted !== undefined) {
        let verdict = false;
        try {
          verdict = isTrusted(request) === true;
        } catch {
          // A throwing user hook means "not trusted", never a crashed request.
        }
        if (verdict) return BY_FUNCTION;
      }
      if (keys !== undefined && signatureHeader !== undefined) {
        const header = request.header(signatureHeader);
        if (header !== undefined) {
          const error = verifyTagSignature(header, claimed, keys, maxSkew, Math.floor(Date.now() / 1000));
          return error === undefined ? BY_SIGNATURE : { trusted: false, via: 'none', signatureError: error };
        }
      }
      return UNTRUSTED;
    },
    restrict(claimed) {
      const restricted = createTag({
        color: allow.has('color') ? claimed.color : undefined,
        user: allow.has('user') ? claimed.user : undefined,
        shadow: false,
        extra: allow.has('extra') ? claimed.extra : undefined,
        // Unrelated baggage is somebody else's context, not a claim on ours.
        passthroughBaggage: claimed.passthroughBaggage,
      });
      // Same passthrough, so still the other members of the header it was read from.
      const source = claimed.baggageSource();
      if (source !== undefined && restricted !== EMPTY_TAG) restricted.rememberBaggageSource(source);
      return restricted;
    },
  };
}
