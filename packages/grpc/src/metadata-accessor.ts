import type { Metadata } from '@grpc/grpc-js';
import type { CarrierAccessor } from '@dyeline/core';

function isBinaryKey(name: string): boolean {
  return name.endsWith('-bin');
}

/**
 * Reads and writes tag entries on grpc-js `Metadata`, so the core codec can
 * use call metadata as it uses HTTP headers.
 *
 * Only string values count: `-bin` keys carry bytes, never a tag, and are
 * skipped both ways. A key sent several times reads as its values joined
 * with `, `, as HTTP joins repeated headers.
 *
 * `set` throws what `Metadata.set` throws for an illegal key or value; the
 * dyeline interceptor catches it and reports it through `onError`.
 */
export const metadataAccessor: CarrierAccessor<Metadata> = {
  get(metadata, name) {
    if (isBinaryKey(name)) return undefined;
    const values = metadata.get(name);
    if (values.length === 0) return undefined;
    if (values.length === 1) {
      const only = values[0];
      return typeof only === 'string' ? only : undefined;
    }
    let joined: string | undefined;
    for (const value of values) {
      if (typeof value !== 'string') continue;
      joined = joined === undefined ? value : `${joined}, ${value}`;
    }
    return joined;
  },
  set(metadata, name, value) {
    if (isBinaryKey(name)) return;
    metadata.set(name, value);
  },
};
