// STUB — signatures are fixed; the core-wire helper implements the bodies.
import type { CarrierGetter } from './carrier.js';
import type { CodecOptions, Codec } from './codec.js';
import type { DyelineError } from './errors.js';
import type { Tag } from './tag.js';
import type { TrustOptions } from './trust.js';

/** Options shared by every ingress (koa, express, grpc): codec + trust + policy. */
export interface IngressOptions extends CodecOptions {
  trust?: TrustOptions;
  /** On invalid/oversized tag input: drop the bad part and go on (default), or reject the request. */
  onInvalid?: 'drop' | 'reject';
  /** On fields an untrusted caller tried to set, or a bad signature: drop them (default), or reject. */
  onUntrusted?: 'drop' | 'reject';
  /** Reports every dropped/rejected part. Must not throw (errors from it are swallowed). */
  onError?: (error: DyelineError) => void;
  /** Header with the caller's remaining deadline in ms. Default `x-dyeline-deadline-ms`; `false` ignores it. */
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
  readonly stats: Readonly<IngressStats>;
}

/** @throws {TypeError} naming the option when the options are invalid. */
export function createIngress(_options?: IngressOptions): Ingress {
  throw new Error('not implemented');
}
