import { propagation } from '@opentelemetry/api';
import type { Baggage, Context } from '@opentelemetry/api';
import type { Tag } from '@dyeline/core';

/** What {@link DyelinePropagator} read in `extract`, kept on the Baggage of the context it returns. */
export interface ExtractedTag {
  readonly tag: Tag;
  /** The baggage the tag was read with; a later change to the baggage makes the entry stale. */
  readonly baggage: Baggage;
  /** @internal The members of `baggage` that are not the tag's, in wire form. */
  readonly others?: readonly string[] | undefined;
}

// On the Baggage object `extract` puts in the context, not in a context value
// of its own: OpenTelemetry's `Context.setValue` copies every value the
// context holds, and a second one per request cost 0.35 µs in a service
// profile. A changed Baggage is a new object without it, so a stale tag is
// never found. A registry-wide symbol: two copies of this package must find
// what the other stored.
/** @internal The key under which a Baggage carries its {@link ExtractedTag}. */
export const EXTRACTED_TAG: unique symbol = Symbol.for('dyeline.extractedTag.v1');

/** A Baggage that may carry what `extract` read with it. @internal */
type CarryingBaggage = Baggage & { readonly [EXTRACTED_TAG]?: ExtractedTag | undefined };

/**
 * The dyeline tag that {@link DyelinePropagator} read into an OpenTelemetry
 * context, or `undefined` when there is none or the context's baggage was
 * changed since (then ask the propagator: `propagator.tagOf(context)`).
 *
 * In a service without dyeline ingress, `currentTag()` is `undefined`; this
 * is how its code sees the tag the request arrived with.
 */
export function tagFromContext(context: Context): Tag | undefined {
  return extractedEntry(propagation.getBaggage(context))?.tag;
}

/** @internal What `extract` read with `baggage`, when `baggage` is the Baggage it put in the context. */
export function extractedEntry(baggage: Baggage | undefined): ExtractedTag | undefined {
  return (baggage as CarryingBaggage | undefined)?.[EXTRACTED_TAG];
}
