import { baggageEntryMetadataFromString, propagation } from '@opentelemetry/api';
import type { Baggage, BaggageEntry, Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  EMPTY_TAG,
  createCodec,
  createTag,
  currentTag,
  formatBaggageEntry,
  headerRecordAccessor,
  joinBaggage,
  parseBaggage,
} from '@dyeline/core';
import type { CarrierGetter, Codec, CodecOptions, InvalidTagError, Tag } from '@dyeline/core';
import { tagBaggageKeys } from './baggage-keys.js';
import { HeaderExtraction, readHeader } from './header-extraction.js';
import type { ExtractionReader, Materialised } from './header-extraction.js';
import { LazyBaggage } from './lazy-baggage.js';
import { extractedEntry, tagFromContext } from './tag-from-context.js';

/** Options of {@link DyelinePropagator}: the codec options of your dyeline ingress, plus a hook. */
export interface DyelinePropagatorOptions extends CodecOptions {
  /**
   * Reports dropped baggage members and tag values, and any unexpected
   * failure. The propagator itself never throws. Errors thrown here are swallowed.
   */
  onError?: (error: unknown) => void;
}

type Scratch = Record<string, string>;

const ignore = (): void => {};
const SHARE = Object.freeze({ share: true });

const NO_MEMBERS: readonly string[] = Object.freeze([]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const PROPERTIES = /^[\x20-\x2b\x2d-\x7e]*$/;

/**
 * An OpenTelemetry `TextMapPropagator` for W3C baggage that knows the dyeline
 * tag. Use it *instead of* `W3CBaggagePropagator` (it carries all baggage, as
 * that one does), next to `W3CTraceContextPropagator`.
 *
 * - `extract` puts every baggage member into the OpenTelemetry Baggage of the
 *   returned context (the tag's dedicated headers, e.g. `x-color`, too, under
 *   their baggage keys), and keeps the tag for {@link tagFromContext}.
 * - `inject` writes the tag with the same codec as dyeline's own outbound
 *   wrappers. The tag is dyeline's `currentTag()` when the call runs inside
 *   dyeline ingress — already judged by the trust policy, so an untrusted
 *   `color` in the incoming baggage is not passed on — and otherwise the tag
 *   in the OpenTelemetry context's baggage (a service instrumented only with
 *   OpenTelemetry passes the tag on). Other baggage entries are written too.
 *
 * @example
 * new NodeTracerProvider().register({ propagator: new CompositePropagator({
 *   propagators: [new W3CTraceContextPropagator(), new DyelinePropagator()] }) });
 */
export class DyelinePropagator implements TextMapPropagator {
  readonly #codec: Codec;
  readonly #keys: ReadonlySet<string>;
  readonly #fields: string[];
  readonly #onError: ((error: unknown) => void) | undefined;
  /** dyeline's own baggage key per field; `undefined` when baggage is off. */
  readonly #ownKeys: { color?: string; user?: string; shadow?: string } | undefined;
  readonly #reportError = (error: unknown): void => this.#report(error);
  readonly #reader: ExtractionReader = {
    tagOf: (extraction) => {
      try {
        // From the carrier itself, so that dyeline ingress reading the same
        // request's headers next gets this result rather than parsing again.
        return this.#codec.extract(extraction.carrier, this.#codecGetter(extraction.getter), SHARE).tag;
      } catch (error) {
        this.#report(error);
        return EMPTY_TAG;
      }
    },
    materialise: (extraction, known) => this.#parse(extraction.header, (name) => extraction.read(name), extraction.previous, known),
  };

  /** OpenTelemetry getters as codec getters, one per getter (instrumentations pass the same one every time). */
  readonly #codecGetters = new WeakMap<TextMapGetter, CarrierGetter<unknown>>();

  #codecGetter(getter: TextMapGetter): CarrierGetter<unknown> {
    let adapted = this.#codecGetters.get(getter);
    if (adapted === undefined) {
      adapted = { get: (carrier, name) => readHeader(carrier, getter, name) };
      this.#codecGetters.set(getter, adapted);
    }
    return adapted;
  }

  /** @throws {TypeError} naming the option when the codec options are invalid. */
  constructor(options: DyelinePropagatorOptions = {}) {
    const onError = options.onError;
    if (onError !== undefined && typeof onError !== 'function') {
      throw new TypeError('DyelinePropagator: options.onError must be a function');
    }
    this.#onError = onError;
    const userDrop = options.onDrop;
    this.#codec = createCodec({
      ...options,
      onDrop: (error: InvalidTagError) => {
        userDrop?.(error);
        this.#report(error);
      },
    });
    this.#keys = tagBaggageKeys(options);
    const bag = options.baggage;
    if (bag !== false) {
      const own: { color?: string; user?: string; shadow?: string } = {};
      for (const field of ['color', 'user', 'shadow'] as const) {
        const key = bag?.[field] ?? field;
        if (key !== false) own[field] = key;
      }
      this.#ownKeys = own;
    }
    // What a full tag writes is exactly the set of fields this propagator may set.
    const probe: Scratch = {};
    const extra: Record<string, string> = {};
    for (const key of options.extra ?? []) extra[key] = 'x';
    for (const preset of options.presets ?? []) for (const key of preset.extra ?? []) extra[key] = 'x';
    this.#codec.inject(createTag({ color: 'x', user: 'x', shadow: true, extra }), probe, headerRecordAccessor);
    this.#fields = [...new Set(['baggage', ...Object.keys(probe)])];
  }

  /** The headers this propagator may write. */
  fields(): string[] {
    return [...this.#fields];
  }

  /**
   * Reads baggage and the tag from `carrier`. Never throws: on failure, returns `context` unchanged.
   * The baggage is parsed when first asked for (`getEntry`, the tag, an outbound call that needs
   * its members): a service that only passes it on, behind dyeline ingress, never parses it twice.
   */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    try {
      const header = readHeader(carrier, getter, 'baggage');
      const previous = propagation.getBaggage(context);
      if (header === undefined || header === '') {
        // Dedicated headers only: cheap enough to read now.
        const { tag } = this.#codec.extract(carrier, { get: (_c, name) => (name === 'baggage' ? undefined : readHeader(carrier, getter, name)) });
        if (tag === EMPTY_TAG && header === undefined) return context;
        const done = this.#parse(header ?? '', (name) => readHeader(carrier, getter, name), previous, tag);
        return propagation.setBaggage(context, new LazyBaggage(() => done.baggage, done));
      }
      const extraction = new HeaderExtraction(this.#reader, header, carrier, getter, previous);
      return propagation.setBaggage(context, extraction.baggage);
    } catch (error) {
      this.#report(error);
      return context;
    }
  }

  /** The OpenTelemetry Baggage of `header` (and the tag, unless `known`), parsed once. */
  #parse(header: string, read: (name: string) => string | undefined, previous: Baggage | undefined, known: Tag | undefined): Materialised {
    try {
      // Baggage is parsed once, here; the codec sees only the members that
      // carry the tag (so the tag keeps no passthrough: the context's Baggage holds the rest).
      const entries: Record<string, BaggageEntry> = {};
      let tagMembers: string | undefined;
      // The other members as they came, to write back unchanged while the Baggage is.
      const others: string[] = [];
      // A tag read from the whole header has reported its invalid members already.
      for (const member of parseBaggage(header, known === undefined ? this.#reportError : ignore)) {
        entries[member.key] = member.properties === ''
          ? { value: member.value }
          : { value: member.value, metadata: baggageEntryMetadataFromString(member.properties.slice(1)) };
        if (this.#keys.has(member.key)) tagMembers = tagMembers === undefined ? member.raw : `${tagMembers},${member.raw}`;
        else others.push(member.raw);
      }
      const tag = known ?? this.#codec.extract(undefined, { get: (_c, name) => (name === 'baggage' ? tagMembers : read(name)) }).tag;
      // A dedicated header (x-color) outranks baggage in the codec; the
      // baggage entries must say the same, or a baggage-only hop would read another tag.
      const own = this.#ownKeys;
      if (own !== undefined) {
        if (tag.color !== undefined && own.color !== undefined && entries[own.color]?.value !== tag.color) entries[own.color] = { value: tag.color };
        if (tag.user !== undefined && own.user !== undefined && entries[own.user]?.value !== tag.user) entries[own.user] = { value: tag.user };
        if (tag.shadow && own.shadow !== undefined && entries[own.shadow] === undefined) entries[own.shadow] = { value: '1' };
        for (const key in tag.extra) {
          const value = tag.extra[key] as string;
          if (entries[key]?.value !== value) entries[key] = { value };
        }
      }
      // Merge into baggage an earlier propagator put there; one createBaggage (setEntry copies the map each time).
      let merged = false;
      if (previous !== undefined) {
        for (const [key, entry] of previous.getAllEntries()) {
          if (key in entries) continue;
          entries[key] = entry;
          merged = true;
        }
      }
      const baggage = propagation.createBaggage(entries);
      return { tag, baggage, others: merged ? undefined : others };
    } catch (error) {
      this.#report(error);
      return { tag: known ?? EMPTY_TAG, baggage: previous ?? propagation.createBaggage(), others: undefined };
    }
  }

  /** Writes the tag and the baggage to `carrier`. Never throws. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    try {
      const baggage = propagation.getBaggage(context);
      const extracted = extractedEntry(baggage);
      const tag = currentTag() ?? extracted?.tag ?? this.tagOf(context) ?? EMPTY_TAG;
      // With the request's baggage as it came (no earlier propagator's merged in), and a tag read
      // from that very header — by dyeline ingress, or from the context here — the tag's
      // passthrough is the header's other members: write them from there, parse nothing again.
      const passOn =
        baggage === undefined ||
        (extracted instanceof HeaderExtraction && extracted.previous === undefined && tag !== EMPTY_TAG && readFrom(tag, extracted.header));
      let own: string | undefined;
      if (tag !== EMPTY_TAG) {
        this.#codec.inject(
          tag,
          carrier,
          {
            set(c, name, value) {
              if (name === 'baggage') own = value;
              else setter.set(c, name, value);
            },
          },
          // Unrelated members come from the context's baggage when there is one
          // (code may have changed it since the request came in), else from the
          // tag's passthrough, which the codec writes.
          { passthrough: passOn },
        );
      }
      const others = passOn || baggage === undefined ? NO_MEMBERS : (extracted?.others ?? this.#serialised(baggage));
      // Another propagator (or the caller) may have written baggage already; keep its other members.
      const existing = isRecord(carrier) ? headerRecordAccessor.get(carrier, 'baggage') : undefined;
      let value: string | undefined;
      if (existing === undefined || existing === '') {
        value = others.length === 0 ? own : own === undefined ? others.join(',') : `${own},${others.join(',')}`;
        // Members are ASCII on the wire, so length is bytes; past the limits, joinBaggage keeps what fits.
        if (value !== undefined && (value.length > BAGGAGE_MAX_BYTES || others.length > BAGGAGE_MAX_MEMBERS - 16)) {
          value = joinBaggage(value.split(','), { onInvalid: this.#reportError });
        }
      } else {
        const members = own === undefined ? [...others] : [...own.split(','), ...others];
        const seen = new Set(members.map((raw) => raw.slice(0, raw.indexOf('='))));
        for (const member of parseBaggage(existing, this.#reportError)) {
          if (seen.has(member.key) || this.#keys.has(member.key)) continue;
          seen.add(member.key);
          members.push(member.raw);
        }
        value = joinBaggage(members, { onInvalid: this.#reportError });
      }
      if (value !== undefined) setter.set(carrier, 'baggage', value);
    } catch (error) {
      this.#report(error);
    }
  }

  /**
   * The tag an OpenTelemetry context carries: the one `extract` stored, or,
   * when the baggage was changed since, the tag read from the baggage now.
   */
  tagOf(context: Context): Tag | undefined {
    const stored = tagFromContext(context);
    if (stored !== undefined) return stored;
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined) return undefined;
    const header = this.#serialised(baggage, true).join(',');
    const { tag } = this.#codec.extract(header, { get: (h, name) => (name === 'baggage' ? h : undefined) });
    return tag;
  }

  /** The wire form of a Baggage's entries (without the tag's keys unless `all`). */
  #serialised(baggage: Baggage, all = false): readonly string[] {
    const members: string[] = [];
    for (const [key, entry] of baggage.getAllEntries()) {
      // Entries set in code may hold anything; only what is valid on the wire goes out.
      if ((!all && this.#keys.has(key)) || !TOKEN.test(key) || typeof entry.value !== 'string') continue;
      const metadata = entry.metadata?.toString();
      const properties = metadata !== undefined && metadata !== '' && PROPERTIES.test(metadata) ? `;${metadata}` : '';
      members.push(formatBaggageEntry(key, entry.value) + properties);
    }
    return members;
  }

  #report(error: unknown): void {
    if (this.#onError === undefined) return;
    try {
      this.#onError(error);
    } catch {
      // Telemetry never throws into a request.
    }
  }
}

/** `tag` was read by a codec from the baggage header `header` (a tag from an older core cannot say). */
function readFrom(tag: Tag, header: string): boolean {
  return typeof tag.baggageSource === 'function' && tag.baggageSource() === header;
}

function isRecord(carrier: unknown): carrier is Record<string, string | string[] | undefined> {
  return typeof carrier === 'object' && carrier !== null && !Array.isArray(carrier) && !(carrier instanceof Map);
}
