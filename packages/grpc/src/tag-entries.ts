import type { Metadata } from '@grpc/grpc-js';
import { InvalidTagError } from '@dyeline/core';
import type { CarrierSetter, Codec, DyelineError, Tag } from '@dyeline/core';
import { metadataAccessor } from './metadata-accessor.js';

// What Metadata.set accepts (grpc-js metadata.ts); checked once per tag so
// that writing on the hot path cannot throw.
const LEGAL_KEY = /^[:0-9a-z_.-]+$/;
const LEGAL_VALUE = /^[ -~]*$/;

const collect: CarrierSetter<string[]> = {
  set(entries, name, value) {
    entries.push(name, value);
  },
};

/** Computes, caches and writes the metadata entries of tags; one per client interceptor. */
export interface EntryWriter {
  /** The entries of `tag` as a flat `[name, value, name, value, ...]` list, computed once per tag. */
  of(tag: Tag): readonly string[];
  /** Writes `entries` (from {@link of}) onto `metadata`; merges through the codec when the caller set some already. */
  write(metadata: Metadata, tag: Tag, entries: readonly string[]): void;
}

/**
 * Per-tag serialised metadata entries. A tag is immutable, so a request that
 * makes N calls serialises (and validates, and reports problems with) its
 * tag once; the cache is a WeakMap and lives exactly as long as the tags.
 */
export function entryWriter(codecFor: (tag: Tag) => Codec, report: (error: DyelineError) => void): EntryWriter {
  const cache = new WeakMap<Tag, readonly string[]>();

  function of(tag: Tag): readonly string[] {
    let entries = cache.get(tag);
    if (entries !== undefined) return entries;
    const raw: string[] = [];
    codecFor(tag).inject(tag, raw, collect);
    const legal: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      const value = raw[i + 1] as string;
      if (LEGAL_KEY.test(name) && !name.endsWith('-bin') && LEGAL_VALUE.test(value)) legal.push(name, value);
      else report(new InvalidTagError('malformed', name, 'grpc-js refuses this metadata entry; calls are sent without it'));
    }
    entries = Object.freeze(legal);
    cache.set(tag, entries);
    return entries;
  }

  function write(metadata: Metadata, tag: Tag, entries: readonly string[]): void {
    for (let i = 0; i < entries.length; i += 2) {
      if (metadata.get(entries[i] as string).length === 0) continue;
      // The caller set an entry of its own: it wins, and baggage is merged.
      try {
        codecFor(tag).inject(tag, metadata, metadataAccessor);
      } catch (cause) {
        report(new InvalidTagError('malformed', 'metadata', 'grpc-js refused a tag entry; call sent without it', { cause }));
      }
      return;
    }
    for (let i = 0; i < entries.length; i += 2) metadata.set(entries[i] as string, entries[i + 1] as string);
  }

  return { of, write };
}
