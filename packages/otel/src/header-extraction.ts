import type { Baggage, TextMapGetter } from '@opentelemetry/api';
import type { Tag } from '@dyeline/core';
import { LazyBaggage } from './lazy-baggage.js';
import type { ExtractedTag } from './tag-from-context.js';

/** A baggage header parsed into an OpenTelemetry Baggage, with the tag it carries. @internal */
export interface Materialised {
  readonly tag: Tag;
  readonly baggage: Baggage;
  /** The members that are not the tag's, as they came; `undefined` when merged with earlier baggage. */
  readonly others: readonly string[] | undefined;
}

/** What `DyelinePropagator` does with an extraction when it is asked. @internal */
export interface ExtractionReader {
  /** The tag of the whole carrier, passthrough members kept (one parse of the header, no Baggage). */
  tagOf(extraction: HeaderExtraction): Tag;
  /** The Baggage and the tag (unless `known`) of the header, parsed once. */
  materialise(extraction: HeaderExtraction, known: Tag | undefined): Materialised;
}

const NO_MEMBERS: readonly string[] = Object.freeze([]);

/**
 * What `DyelinePropagator.extract` read from a carrier with a baggage header,
 * worked out when first asked: most services never look at the incoming
 * baggage, they only pass it on. One object per request, with methods rather
 * than closures. @internal
 */
export class HeaderExtraction implements ExtractedTag {
  readonly baggage: Baggage;
  readonly #reader: ExtractionReader;
  #tag: Tag | undefined;
  #done: Materialised | undefined;

  constructor(
    reader: ExtractionReader,
    /** The baggage header, as read. */
    readonly header: string,
    /** The carrier `extract` was given (for HTTP, the request's headers) and its getter. */
    readonly carrier: unknown,
    readonly getter: TextMapGetter,
    /** Baggage an earlier propagator put in the context, merged into this one. */
    readonly previous: Baggage | undefined,
  ) {
    this.#reader = reader;
    this.baggage = new LazyBaggage(() => this.#materialised().baggage, this);
  }

  /** One header of the carrier, multiple values joined. */
  read(name: string): string | undefined {
    return readHeader(this.carrier, this.getter, name);
  }

  get tag(): Tag {
    return (this.#tag ??= this.#done?.tag ?? this.#reader.tagOf(this));
  }

  get others(): readonly string[] | undefined {
    // Earlier baggage merged in is only in the Baggage.
    if (this.#done !== undefined || this.previous !== undefined) return this.#materialised().others;
    // The tag read from the whole header keeps the other members in its passthrough.
    const passthrough = this.tag.passthroughBaggage;
    return passthrough === undefined ? NO_MEMBERS : passthrough.split(',');
  }

  #materialised(): Materialised {
    return (this.#done ??= this.#reader.materialise(this, this.#tag));
  }
}

/** One header of a carrier, multiple values joined. @internal */
export function readHeader(carrier: unknown, getter: TextMapGetter, name: string): string | undefined {
  const value = getter.get(carrier, name);
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return value;
}
