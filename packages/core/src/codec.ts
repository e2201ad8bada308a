// STUB — signatures are fixed; the core-wire helper implements the bodies.
import type { CarrierAccessor, CarrierGetter, CarrierSetter } from './carrier.js';
import type { InvalidTagError } from './invalid-tag-error.js';
import type { Tag } from './tag.js';

/** Header names per tag field; `false` turns a source off. */
export interface TagHeaderNames {
  color?: string | false;
  user?: string | false;
  shadow?: string | false;
}

/** A named set of extra wire names used in the field (kratos, MSE, ...). */
export interface CodecPreset {
  readonly name: string;
  /** Extra dedicated headers per field, read after dyeline's own headers. */
  readonly headers?: TagHeaderNames;
  /** Extra baggage keys per field. */
  readonly baggage?: TagHeaderNames;
  /** Extra entries this preset carries (e.g. Istio's `x-canary`), read and written as headers. */
  readonly extra?: readonly string[];
}

/** Options of {@link createCodec}; validated once, at construction. */
export interface CodecOptions {
  /** Dedicated headers. Default `{ color: 'x-color', user: 'x-user', shadow: 'x-shadow' }`. */
  headers?: TagHeaderNames;
  /** Baggage keys per field (default `{ color: 'color', user: 'user', shadow: 'shadow' }`); `false` ignores baggage. */
  baggage?: TagHeaderNames | false;
  /** Extra entries allowed into the tag, read from a header of that name or a baggage key of that name. */
  extra?: readonly string[];
  /** Field presets: `presets.kratos`, `presets.mse`, ... */
  presets?: readonly CodecPreset[];
  /** What outbound writes: dedicated headers (default true), baggage (default true), preset headers (default true). */
  write?: { headers?: boolean; baggage?: boolean; presets?: boolean };
  /** Value limits. Defaults: 128 chars, `[A-Za-z0-9._~:@/+-]`, headers 8192 bytes. */
  limits?: { maxValueLength?: number; valuePattern?: RegExp; maxHeaderBytes?: number };
  /** Called for every dropped value or baggage member. Must not throw (errors from it are swallowed). */
  onDrop?: (error: InvalidTagError) => void;
}

/** What {@link Codec.extract} found. */
export interface ExtractResult {
  /** The tag as claimed by the carrier (before any trust policy). */
  readonly tag: Tag;
  /** Tag fields the carrier set: subset of `color`, `user`, `shadow`, `extra:<key>`. */
  readonly fields: readonly string[];
  /** Problems found; `undefined` when there were none (the common case allocates nothing). */
  readonly errors: readonly InvalidTagError[] | undefined;
}

/** Reads and writes tags on any carrier. */
export interface Codec {
  /** Never throws: invalid input is dropped and reported in `errors` and through `onDrop`. */
  extract<C>(carrier: C, getter: CarrierGetter<C>): ExtractResult;
  /**
   * Writes `tag` to `carrier`. With a getter, a header already present wins
   * unless `overwrite` is true; baggage is merged, keeping members already
   * there and the tag's passthrough members.
   */
  inject<C>(tag: Tag, carrier: C, accessor: CarrierSetter<C> | CarrierAccessor<C>, options?: { overwrite?: boolean }): void;
}

/**
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createCodec(_options?: CodecOptions): Codec {
  throw new Error('not implemented');
}
