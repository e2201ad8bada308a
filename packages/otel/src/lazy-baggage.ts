import type { Baggage, BaggageEntry } from '@opentelemetry/api';
import { EXTRACTED_TAG } from './tag-from-context.js';
import type { ExtractedTag } from './tag-from-context.js';

/**
 * An OpenTelemetry `Baggage` read from a header only when somebody asks:
 * most services never look at the incoming baggage, they only pass it on,
 * and `DyelinePropagator` can pass it on from what dyeline ingress already
 * parsed. Behaves as the Baggage it stands for (changes return that one's
 * changed copies, which carry no tag). Carries what `extract` read with it
 * (see `extractedEntry`). @internal
 */
export class LazyBaggage implements Baggage {
  readonly #build: () => Baggage;
  #built: Baggage | undefined;
  readonly [EXTRACTED_TAG]: ExtractedTag;

  constructor(build: () => Baggage, extracted: ExtractedTag) {
    this.#build = build;
    this[EXTRACTED_TAG] = extracted;
  }

  get #baggage(): Baggage {
    return (this.#built ??= this.#build());
  }

  getEntry(key: string): BaggageEntry | undefined {
    return this.#baggage.getEntry(key);
  }

  getAllEntries(): [string, BaggageEntry][] {
    return this.#baggage.getAllEntries();
  }

  setEntry(key: string, entry: BaggageEntry): Baggage {
    return this.#baggage.setEntry(key, entry);
  }

  removeEntry(key: string): Baggage {
    return this.#baggage.removeEntry(key);
  }

  removeEntries(...keys: string[]): Baggage {
    return this.#baggage.removeEntries(...keys);
  }

  clear(): Baggage {
    return this.#baggage.clear();
  }
}
