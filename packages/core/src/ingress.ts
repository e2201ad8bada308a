import { valuesReader } from './carrier.js';
import type { CarrierGetter } from './carrier.js';
import type { ValuesReader } from './record-reader.js';
import { DEFAULT_DEADLINE_HEADER, parseDeadlineHeader } from './deadline-header.js';
import { createCodec } from './codec.js';
import type { CodecOptions, Codec, ExtractResult } from './codec.js';
import type { DyelineError } from './errors.js';
import { InvalidTagError } from './invalid-tag-error.js';
import { EMPTY_TAG } from './tag.js';
import type { Tag } from './tag.js';
import { RecentReads } from './recent-reads.js';
import { createTrustPolicy } from './trust.js';
import type { TrustOptions, TrustPolicy } from './trust.js';
import { UntrustedTagError } from './untrusted-tag-error.js';

/** Options shared by every ingress (koa, express, grpc): codec + trust + policy. */
export interface IngressOptions extends CodecOptions {
  trust?: TrustOptions;
  /** On invalid/oversized tag input: drop the bad part and go on (default), or reject the request. */
  onInvalid?: 'drop' | 'reject';
  /** On fields an untrusted caller tried to set, or a bad signature: drop them (default), or reject. */
  onUntrusted?: 'drop' | 'reject';
  /** Reports every dropped/rejected part. Must not throw (errors from it are swallowed). */
  onError?: (error: DyelineError) => void;
  /**
   * Header with the caller's remaining deadline in whole ms (0 to one hour, longer is capped).
   * Default `x-dyeline-deadline-ms`; `false` ignores it. Read from any caller, trusted or not:
   * a deadline can only shorten the work done for the caller's own request.
   */
  deadlineHeader?: string | false;
}

/** Counters since the ingress was created. */
export interface IngressStats {
  requests: number;
  untrustedDrops: number;
  invalidDrops: number;
  signatureRejected: number;
  rejected: number;
}

/** The outcome of reading one request. */
export interface IngressResult {
  /** The tag to run the request under (after trust and validation). */
  readonly tag: Tag;
  readonly trusted: boolean;
  /** Set when policy says reject; the adapter answers 400 (HTTP) / INVALID_ARGUMENT or PERMISSION_DENIED (gRPC). */
  readonly rejected: DyelineError | undefined;
  /** The caller's remaining deadline in ms, if it sent one. */
  readonly deadlineMs: number | undefined;
}

/** A configured ingress; adapters build one per middleware. */
export interface Ingress {
  read<C>(carrier: C, getter: CarrierGetter<C>, remoteAddress: string | undefined): IngressResult;
  readonly codec: Codec;
  readonly trust: TrustPolicy;
  readonly stats: Readonly<IngressStats>;
}

const NOTHING: IngressResult = Object.freeze({ tag: EMPTY_TAG, trusted: false, rejected: undefined, deadlineMs: undefined });

/**
 * What ingress keeps of one set of header values it has read before: the
 * extraction (kept only when it found no problem, so reports and counters
 * stay per request), and the results it led to, made once each. The trust
 * decision itself is made per request: it depends on the caller.
 */
interface RecentRead {
  readonly extracted: ExtractResult;
  /** For a caller trusted for the whole tag. */
  trusted: IngressResult | undefined;
  /** For an untrusted caller: the tag cut to what the policy allows, and its result. */
  restricted: Tag | undefined;
  untrusted: IngressResult | undefined;
}

function settled(tag: Tag, trusted: boolean): IngressResult {
  return Object.freeze({ tag, trusted, rejected: undefined, deadlineMs: undefined });
}

/**
 * Builds the ingress pipeline every server adapter runs per request: read the
 * tag (codec), judge the caller (trust policy), apply the drop/reject policy,
 * read the caller's deadline. Reading never throws.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createIngress(options: IngressOptions = {}): Ingress {
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError('createIngress: options.onError must be a function');
  for (const name of ['onInvalid', 'onUntrusted'] as const) {
    const value = options[name];
    if (value !== undefined && value !== 'drop' && value !== 'reject') {
      throw new TypeError(`createIngress: options.${name} must be 'drop' or 'reject', got ${JSON.stringify(value)}`);
    }
  }
  const rejectInvalid = options.onInvalid === 'reject';
  const rejectUntrusted = options.onUntrusted === 'reject';
  const deadlineHeader = options.deadlineHeader === undefined ? DEFAULT_DEADLINE_HEADER : options.deadlineHeader;
  if (deadlineHeader !== false && (typeof deadlineHeader !== 'string' || !/^[a-z0-9-]+$/.test(deadlineHeader))) {
    throw new TypeError('createIngress: options.deadlineHeader must be a lowercase header name or false');
  }
  const codec = createCodec(options);
  const trust = createTrustPolicy(options.trust);
  const stats: IngressStats = { requests: 0, untrustedDrops: 0, invalidDrops: 0, signatureRejected: 0, rejected: 0 };
  const recent = new RecentReads<RecentRead>();
  // Every header a request is read for, in one pass: the tag's, then the deadline's.
  const tagNames = codec.reads.length;
  const names = deadlineHeader === false ? codec.reads : [...codec.reads, deadlineHeader];
  // Readers by getter, as making one may compile code. An ingress mostly
  // sees one getter, its adapter's: that one is checked first.
  const readers = new Map<CarrierGetter<never>, ValuesReader<never>>();
  let lastGetter: CarrierGetter<never> | undefined;
  let lastReader: ValuesReader<never> | undefined;
  const readerFor = <C>(getter: CarrierGetter<C>): ValuesReader<C> => {
    if (getter !== lastGetter) {
      let reader = readers.get(getter);
      if (reader === undefined) {
        // Bounded, should a caller make a new getter object per request.
        if (readers.size >= 8) readers.clear();
        reader = valuesReader(getter, names);
        readers.set(getter, reader);
      }
      lastGetter = getter;
      lastReader = reader;
    }
    return lastReader as ValuesReader<C>;
  };

  const report = (error: DyelineError): void => {
    if (onError === undefined) return;
    try {
      onError(error);
    } catch {
      // Observing must never break a request.
    }
  };

  function read<C>(carrier: C, getter: CarrierGetter<C>, remoteAddress: string | undefined): IngressResult {
    stats.requests++;
    let rejected: DyelineError | undefined;
    let deadlineMs: number | undefined;
    const values = readerFor(getter)(carrier);
    const rawDeadline = values[tagNames];
    if (rawDeadline !== undefined) {
      deadlineMs = parseDeadlineHeader(rawDeadline);
      if (deadlineMs === undefined) {
        stats.invalidDrops++;
        const error = new InvalidTagError('malformed', deadlineHeader as string, 'must be a whole number of milliseconds >= 0');
        report(error);
        if (rejectInvalid) rejected = error;
      }
    }
    let known = recent.find(values, tagNames);
    // From the carrier, not from the values just read: an extraction a propagator
    // shared for this same carrier (`share: true`, the server span's) is found by it.
    const extracted = known?.extracted ?? codec.extract(carrier, getter);
    if (known === undefined && extracted.errors === undefined && recent.canRemember) {
      known = { extracted, trusted: undefined, restricted: undefined, untrusted: undefined };
      recent.remember(known);
    }
    const seen = known;
    // Nothing per request to add to a result: then one made earlier will do.
    // (An entry's extraction has fields or it has none, so `untrusted` serves one branch below, never both.)
    const plain = seen !== undefined && deadlineMs === undefined && rejected === undefined;
    if (extracted.errors !== undefined) {
      stats.invalidDrops += extracted.errors.length;
      for (const error of extracted.errors) report(error);
      if (rejectInvalid) rejected ??= extracted.errors[0];
    }
    const claimed = extracted.tag;
    if (extracted.fields.length === 0) {
      if (claimed === EMPTY_TAG && deadlineMs === undefined && rejected === undefined) return NOTHING;
      if (plain) return (seen.untrusted ??= settled(claimed, false));
      if (rejected !== undefined) stats.rejected++;
      return { tag: claimed, trusted: false, rejected, deadlineMs };
    }
    const decision = trust.judgeAddress(remoteAddress) ?? trust.judge({ remoteAddress, header: (name) => getter.get(carrier, name) }, claimed);
    if (decision.trusted && plain) return (seen.trusted ??= settled(claimed, true));
    let tag = claimed;
    if (!decision.trusted) {
      tag = seen === undefined ? trust.restrict(claimed) : (seen.restricted ??= trust.restrict(claimed));
      const lost = extracted.fields.filter((field) => {
        if (field === 'color') return tag.color === undefined;
        if (field === 'user') return tag.user === undefined;
        if (field === 'shadow') return !tag.shadow;
        return tag.extra[field.slice(6)] === undefined;
      });
      if (decision.signatureError !== undefined) {
        stats.signatureRejected++;
        // An error costs a stack trace (~5 µs): build it only for someone who reads it.
        if (onError !== undefined || rejectUntrusted) {
          const error = new UntrustedTagError(extracted.fields, `signed tag refused: ${decision.signatureError}`);
          report(error);
          if (rejectUntrusted) rejected ??= error;
        }
      }
      if (lost.length > 0) {
        stats.untrustedDrops += lost.length;
        if (onError !== undefined || rejectUntrusted) {
          const error = new UntrustedTagError(lost, `untrusted caller ${remoteAddress ?? '(unknown)'} may not set ${lost.join(', ')}`);
          report(error);
          if (rejectUntrusted) rejected ??= error;
        }
      }
    }
    if (rejected !== undefined) stats.rejected++;
    else if (plain && !decision.trusted) return (seen.untrusted ??= settled(tag, false));
    return { tag, trusted: decision.trusted, rejected, deadlineMs };
  }

  return { read, codec, trust, stats };
}
