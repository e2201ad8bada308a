import { createContextKey, propagation } from '@opentelemetry/api';
import type { Baggage, Context } from '@opentelemetry/api';
import type { Tag } from '@dyeline/core';

/** What {@link DyelinePropagator} leaves in the context it returns from `extract`. */
export interface ExtractedTag {
  readonly tag: Tag;
  /** The baggage the tag was read with; a later change to the baggage makes the entry stale. */
  readonly baggage: Baggage;
  /** @internal The members of `baggage` that are not the tag's, in wire form. */
  readonly others?: readonly string[] | undefined;
}

// One key per process, like dyeline's own ALS slot: two copies of this package
// must find what the other stored.
const TAG_KEY = createContextKey('dyeline.tag.v1');

/** @internal Stores the tag read by `extract` next to the baggage it came with. */
export function setExtractedTag(context: Context, entry: ExtractedTag): Context {
  return context.setValue(TAG_KEY, entry);
}

/**
 * The dyeline tag that {@link DyelinePropagator} read into an OpenTelemetry
 * context, or `undefined` when there is none or the context's baggage was
 * changed since (then ask the propagator: `propagator.tagOf(context)`).
 *
 * In a service without dyeline ingress, `currentTag()` is `undefined`; this
 * is how its code sees the tag the request arrived with.
 */
export function tagFromContext(context: Context): Tag | undefined {
  const entry = context.getValue(TAG_KEY) as ExtractedTag | undefined;
  if (entry === undefined) return undefined;
  return propagation.getBaggage(context) === entry.baggage ? entry.tag : undefined;
}

/** @internal What `extract` stored in `context`, when `baggage` is still the Baggage it stored. */
export function extractedEntry(context: Context, baggage: Baggage): ExtractedTag | undefined {
  const entry = context.getValue(TAG_KEY) as ExtractedTag | undefined;
  return entry !== undefined && entry.baggage === baggage ? entry : undefined;
}
