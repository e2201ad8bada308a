import {
  BAGGAGE_MAX_MEMBERS,
  decodeBaggageValue,
  encodeBaggageValue,
  joinBaggage,
  parseBaggage,
  scanBaggage,
  spanRawValue,
  spanText,
} from './baggage.js';
import type { BaggageMember, BaggageSpan, BaggageVisitor } from './baggage.js';
import { InvalidTagError } from './invalid-tag-error.js';
import type { CarrierAccessor, CarrierGetter, CarrierSetter } from './carrier.js';
import { createTag, EMPTY_TAG } from './tag.js';
import type { Tag } from './tag.js';
import { DEFAULT_VALUE_RULES, checkValue, parseShadowFlag } from './value-rules.js';
import type { ValueRules } from './value-rules.js';

/** Header names per tag field; `false` turns a source off. */
export interface TagHeaderNames {
  color?: string | false;
  user?: string | false;
  shadow?: string | false;
}

/** Wire names per tag field in a preset; a field may have several (Istio's `user` and `end-user`). */
export interface PresetFieldNames {
  readonly color?: string | readonly string[] | false;
  readonly user?: string | readonly string[] | false;
  readonly shadow?: string | readonly string[] | false;
}

/** A named set of extra wire names used in the field (kratos, MSE, ...). */
export interface CodecPreset {
  readonly name: string;
  /** Extra dedicated headers per field, read after dyeline's own headers. */
  readonly headers?: PresetFieldNames;
  /** Extra baggage keys per field, read after dyeline's own baggage keys and written next to them. */
  readonly baggage?: PresetFieldNames;
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
  /**
   * Never throws: invalid input is dropped and reported in `errors` and through `onDrop`.
   * A carrier object that an extraction with `share: true` read last, unchanged since, is not
   * read again by a codec with equal options: it returns that result (its problems reported again).
   */
  extract<C>(carrier: C, getter: CarrierGetter<C>, options?: ExtractOptions): ExtractResult;
  /**
   * Writes `tag` to `carrier`. With a getter, a header already present wins
   * unless `overwrite` is true; baggage is merged, keeping members already
   * there and the tag's passthrough members (unless `passthrough` is false:
   * for a caller that writes the other members itself, such as OpenTelemetry's
   * Baggage).
   */
  inject<C>(tag: Tag, carrier: C, accessor: CarrierSetter<C> | CarrierAccessor<C>, options?: InjectOptions): void;
  /**
   * The names {@link Codec.extract} reads (lowercase; `baggage` last when
   * baggage is read): what a CORS `Access-Control-Allow-Headers` or a
   * `Vary` should name, and all that decides what `extract` returns.
   */
  readonly reads: readonly string[];
}

/** Options of {@link Codec.extract}. */
export interface ExtractOptions {
  /**
   * Keep this result for the next reader of the same carrier object (a
   * propagator that reads a request before dyeline ingress does). Default false.
   */
  share?: boolean;
}

/** Options of {@link Codec.inject}. */
export interface InjectOptions {
  /** Replace headers and baggage members already on the carrier. Default false. */
  overwrite?: boolean;
  /** Write the tag's passthrough baggage members. Default true. */
  passthrough?: boolean;
}

type Field = 'color' | 'user' | 'shadow';
const FIELDS: readonly Field[] = ['color', 'user', 'shadow'];
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

interface ResolvedCodec {
  /** Per field, header names in precedence order (dyeline's own first, then presets). */
  readonly headers: Record<Field, readonly string[]>;
  /** The same lists by the field's index in FIELDS: what extraction walks (an indexed load, not a keyed one). */
  readonly headerLists: readonly (readonly string[])[];
  /**
   * The baggage keys read, grouped by length (index = key length). A member
   * is matched against the few keys of its key's length in place, with no
   * slice and no hash; a member whose key length no configured key has
   * passes through untouched.
   */
  readonly baggageKeysByLength: readonly (readonly BaggageKey[] | undefined)[];
  readonly readBaggage: boolean;
  readonly extra: readonly string[];
  /** Write extra entries as headers / the tag as baggage. */
  readonly writeHeaders: boolean;
  readonly writeBaggage: boolean;
  /** The header names and baggage keys each field is written under (named properties: no keyed loads per call). */
  readonly writes: { readonly color: FieldWrite; readonly user: FieldWrite; readonly shadow: FieldWrite };
  /** False when the value pattern admits only printable ASCII (the default's does), so a written value needs no second check. */
  readonly checkPrintable: boolean;
  readonly rules: ValueRules;
  readonly onDrop: ((error: InvalidTagError) => void) | undefined;
  /** Every header read besides `baggage`, in reading order. */
  readonly readNames: readonly string[];
  /**
   * Everything that decides what `extract` returns for given raw values, as a
   * number: equal for codecs made with equal options (compared per shared
   * read, where two equal strings of a few hundred characters would be
   * compared character by character).
   */
  readonly signature: number;
}

/** A baggage key that carries a field: which one (and its index in FIELDS), and its rank among that field's keys. */
interface BaggageFieldRole {
  readonly field: Field;
  readonly index: number;
  readonly rank: number;
}

/** A baggage key the codec reads: what it is read as, the fields it names (usually one) with its rank among that field's keys, or `'extra'`. */
interface BaggageKey {
  readonly key: string;
  /** How errors name it: `baggage <key>`. */
  readonly source: string;
  readonly role: readonly BaggageFieldRole[] | 'extra';
}

/** The header names and baggage keys one field is written under. */
interface FieldWrite {
  readonly headers: readonly string[];
  readonly baggageKeys: readonly string[];
}

/** What {@link fieldWrite} works from: per field, names in precedence order (own first), the presets' among them, and the write flags. */
interface WriteLists {
  readonly headers: Record<Field, readonly string[]>;
  readonly baggage: Record<Field, readonly string[]>;
  readonly presetHeaders: Record<Field, readonly string[]>;
  readonly presetBaggage: Record<Field, readonly string[]>;
  readonly writeHeaders: boolean;
  readonly writeBaggage: boolean;
  readonly writePresets: boolean;
}

function fieldWrite(field: Field, lists: WriteLists): FieldWrite {
  const headers: string[] = [];
  const baggageKeys: string[] = [];
  const own = lists.headers[field][0];
  if (lists.writeHeaders && own !== undefined && own !== lists.presetHeaders[field][0]) headers.push(own);
  if (lists.writePresets) headers.push(...lists.presetHeaders[field]);
  if (lists.writeBaggage) {
    const ownKey = lists.baggage[field][0];
    if (ownKey !== undefined && ownKey !== lists.presetBaggage[field][0]) baggageKeys.push(ownKey);
    if (lists.writePresets) baggageKeys.push(...lists.presetBaggage[field]);
  }
  return { headers, baggageKeys };
}

function checkName(option: string, name: unknown): string {
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    throw new TypeError(`createCodec: ${option} must be a non-empty lowercase header name, got ${JSON.stringify(name)}`);
  }
  return name;
}

function pick(option: string, names: TagHeaderNames | undefined, field: Field, fallback: string | false): string | false {
  const value = names?.[field];
  if (value === undefined) return fallback;
  if (value === false) return false;
  return checkName(`${option}.${field}`, value);
}

function presetNames(option: string, names: PresetFieldNames | undefined, field: Field): readonly string[] {
  const value = names?.[field];
  if (value === undefined || value === false) return [];
  if (typeof value === 'string') return [checkName(`${option}.${field}`, value)];
  if (!Array.isArray(value)) throw new TypeError(`createCodec: ${option}.${field} must be a header name or an array of them`);
  return value.map((name) => checkName(`${option}.${field}`, name));
}

/** One number per distinct codec signature in this copy of core: few, made at construction. */
const signatureIds = new Map<string, number>();

function signatureId(signature: string): number {
  let id = signatureIds.get(signature);
  if (id === undefined) {
    id = signatureIds.size;
    signatureIds.set(signature, id);
  }
  return id;
}

function resolve(options: CodecOptions): ResolvedCodec {
  if (typeof options !== 'object' || options === null) throw new TypeError('createCodec: options must be an object');
  const defaults: Record<Field, string> = { color: 'x-color', user: 'x-user', shadow: 'x-shadow' };
  const bagDefaults: Record<Field, string> = { color: 'color', user: 'user', shadow: 'shadow' };
  const presets = options.presets ?? [];
  if (!Array.isArray(presets)) throw new TypeError('createCodec: options.presets must be an array of presets');
  const headers = { color: [] as string[], user: [] as string[], shadow: [] as string[] };
  const baggage = { color: [] as string[], user: [] as string[], shadow: [] as string[] };
  const presetHeaders = { color: [] as string[], user: [] as string[], shadow: [] as string[] };
  const presetBaggage = { color: [] as string[], user: [] as string[], shadow: [] as string[] };
  const extra = new Set<string>();
  for (const field of FIELDS) {
    const own = pick('options.headers', options.headers, field, defaults[field]);
    if (own !== false) headers[field].push(own);
    if (options.baggage !== false) {
      const key = pick('options.baggage', options.baggage, field, bagDefaults[field]);
      if (key !== false) baggage[field].push(key);
    }
  }
  presets.forEach((preset: CodecPreset, i: number) => {
    if (typeof preset !== 'object' || preset === null || typeof preset.name !== 'string') {
      throw new TypeError(`createCodec: options.presets[${i}] must be a preset object such as presets.kratos`);
    }
    for (const field of FIELDS) {
      for (const header of presetNames(`options.presets[${i}].headers`, preset.headers, field)) {
        if (headers[field].includes(header)) continue;
        headers[field].push(header);
        presetHeaders[field].push(header);
      }
      for (const key of presetNames(`options.presets[${i}].baggage`, preset.baggage, field)) {
        if (options.baggage === false || baggage[field].includes(key)) continue;
        baggage[field].push(key);
        presetBaggage[field].push(key);
      }
    }
    for (const name of preset.extra ?? []) extra.add(checkName(`options.presets[${i}].extra`, name));
  });
  if (options.extra !== undefined && !Array.isArray(options.extra)) {
    throw new TypeError('createCodec: options.extra must be an array of entry names');
  }
  for (const name of options.extra ?? []) extra.add(checkName('options.extra', name));
  const limits = options.limits ?? {};
  const maxValueLength = limits.maxValueLength ?? DEFAULT_VALUE_RULES.maxValueLength;
  const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_VALUE_RULES.maxHeaderBytes;
  if (!Number.isInteger(maxValueLength) || maxValueLength < 1) {
    throw new TypeError('createCodec: options.limits.maxValueLength must be a positive integer');
  }
  if (!Number.isInteger(maxHeaderBytes) || maxHeaderBytes < maxValueLength) {
    throw new TypeError('createCodec: options.limits.maxHeaderBytes must be an integer >= maxValueLength');
  }
  const valuePattern = limits.valuePattern ?? DEFAULT_VALUE_RULES.valuePattern;
  if (!(valuePattern instanceof RegExp) || valuePattern.global || valuePattern.sticky) {
    throw new TypeError('createCodec: options.limits.valuePattern must be a RegExp without the g or y flag');
  }
  if (options.onDrop !== undefined && typeof options.onDrop !== 'function') {
    throw new TypeError('createCodec: options.onDrop must be a function');
  }
  const write = options.write ?? {};
  const baggageRoles = new Map<string, BaggageFieldRole[] | 'extra'>();
  FIELDS.forEach((field, index) => {
    baggage[field].forEach((key, rank) => {
      const roles = baggageRoles.get(key);
      if (Array.isArray(roles)) roles.push({ field, index, rank });
      else baggageRoles.set(key, [{ field, index, rank }]);
    });
  });
  // A field's key is read as the field, never also as an extra entry.
  for (const name of extra) if (!baggageRoles.has(name)) baggageRoles.set(name, 'extra');
  const lists: WriteLists = {
    headers,
    baggage,
    writeHeaders: write.headers ?? true,
    writeBaggage: (write.baggage ?? true) && options.baggage !== false,
    writePresets: write.presets ?? true,
    presetHeaders,
    presetBaggage,
  };
  const readNames = [...headers.color, ...headers.user, ...headers.shadow, ...extra];
  const readBaggageOption = options.baggage !== false;
  const signature = signatureId(JSON.stringify([
    headers,
    [...baggageRoles],
    [...extra],
    readBaggageOption,
    maxValueLength,
    maxHeaderBytes,
    valuePattern.source,
    valuePattern.flags,
  ]));
  return {
    readNames,
    signature,
    headers,
    headerLists: FIELDS.map((field) => headers[field]),
    writeHeaders: lists.writeHeaders,
    writeBaggage: lists.writeBaggage,
    baggageKeysByLength: [...baggageRoles].reduce<BaggageKey[][]>((byLength, [key, role]) => {
      (byLength[key.length] ??= []).push({ key, source: `baggage ${key}`, role });
      return byLength;
    }, []),
    readBaggage: readBaggageOption,
    extra: [...extra],
    writes: { color: fieldWrite('color', lists), user: fieldWrite('user', lists), shadow: fieldWrite('shadow', lists) },
    checkPrintable: valuePattern !== DEFAULT_VALUE_RULES.valuePattern,
    rules: { maxValueLength, valuePattern, maxHeaderBytes },
    onDrop: options.onDrop,
  };
}

function report(codec: ResolvedCodec, errors: InvalidTagError[] | undefined, error: InvalidTagError): InvalidTagError[] {
  if (codec.onDrop !== undefined) {
    try {
      codec.onDrop(error);
    } catch {
      // Reporting must never break extraction.
    }
  }
  if (errors === undefined) return [error];
  errors.push(error);
  return errors;
}

/** Mutable scratch for one extraction; keeps `extract` to one small allocation. */
interface Found {
  readonly codec: ResolvedCodec;
  color: string | undefined;
  user: string | undefined;
  shadow: boolean | undefined;
  extra: Record<string, string> | undefined;
  passthrough: string[] | undefined;
  errors: InvalidTagError[] | undefined;
  /** Baggage only: per field, the rank of the key its value came from (see READ_MEMBERS). */
  taken: number[] | undefined;
}

function newFound(codec: ResolvedCodec): Found {
  return { codec, color: undefined, user: undefined, shadow: undefined, extra: undefined, passthrough: undefined, errors: undefined, taken: undefined };
}

function accept(codec: ResolvedCodec, found: Found, field: Field, source: string, raw: string): boolean {
  // Proxies often send a header with an empty value; it claims nothing.
  if (raw === '') return false;
  if (field === 'shadow') {
    const flag = parseShadowFlag(raw);
    if (flag === undefined) {
      found.errors = report(codec, found.errors, new InvalidTagError('malformed', source, 'shadow flag must be 1/0, true/false or on/off'));
      return false;
    }
    found.shadow = flag;
    return true;
  }
  const error = checkValue(codec.rules, source, raw);
  if (error !== undefined) {
    found.errors = report(codec, found.errors, error);
    return false;
  }
  // Named stores: a keyed store with a variable name would go megamorphic.
  if (field === 'color') found.color = raw;
  else found.user = raw;
  return true;
}

/** The configured key the member in `span` has, compared in place, or undefined for a member to pass through. */
function knownKey(codec: ResolvedCodec, header: string, span: Readonly<BaggageSpan>): BaggageKey | undefined {
  const candidates = codec.baggageKeysByLength[span.keyEnd - span.keyStart];
  if (candidates === undefined) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i] as BaggageKey;
    if (header.startsWith(candidate.key, span.keyStart)) return candidate;
  }
  return undefined;
}

// Reads each member's key, and its value only when the tag takes it: in the
// usual request the dedicated headers already gave color and user, and the
// baggage copies of them are checked but never sliced or decoded.
const READ_MEMBERS: BaggageVisitor<Found> = {
  member(found, header, span) {
    const codec = found.codec;
    const known = knownKey(codec, header, span);
    if (known === undefined) {
      (found.passthrough ??= []).push(spanText(header, span));
      return;
    }
    const { key, source, role } = known;
    if (role === 'extra') {
      if (found.extra?.[key] !== undefined) return;
      const value = decodeBaggageValue(spanRawValue(header, span));
      if (value === '') return;
      const error = checkValue(codec.rules, source, value);
      if (error === undefined) (found.extra ??= Object.create(null) as Record<string, string>)[key] = value;
      else found.errors = report(codec, found.errors, error);
    } else {
      // Per field (FIELDS order), the rank of the baggage key its value came
      // from: -1 when a header gave it (nothing in baggage outranks a header).
      // dyeline's own key outranks a preset's wherever each stands in the header; among equals, the first valid wins.
      const taken = (found.taken ??= [found.color === undefined ? Infinity : -1, found.user === undefined ? Infinity : -1, found.shadow === undefined ? Infinity : -1]);
      let value: string | undefined;
      for (let i = 0; i < role.length; i++) {
        const { field, index, rank } = role[i] as BaggageFieldRole;
        if (rank >= (taken[index] as number)) continue;
        value ??= decodeBaggageValue(spanRawValue(header, span));
        if (accept(codec, found, field, source, value)) taken[index] = rank;
      }
    }
  },
  invalid(found, error) {
    found.errors = report(found.codec, found.errors, error);
  },
};

/**
 * Creates a codec that reads tags from carriers (headers, metadata) and writes
 * them back. Options are checked here, once.
 *
 * Precedence when sources disagree: dyeline's own header > a preset's header
 * (in preset order) > dyeline's baggage key > a preset's baggage key.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createCodec(options: CodecOptions = {}): Codec {
  const codec = resolve(options);

  function extract<C>(carrier: C, getter: CarrierGetter<C>, extractOptions?: ExtractOptions): ExtractResult {
    const last = lastExtraction;
    if (last.carrier === carrier) {
      const header = codec.readBaggage ? getter.get(carrier, 'baggage') : undefined;
      if (header === last.header && last.signature === codec.signature && sameValues(last.values, carrier, getter, codec.readNames)) {
        // Problems are reported to every reader, as if it had parsed the header itself.
        if (last.result.errors !== undefined && codec.onDrop !== undefined) for (const error of last.result.errors) report(codec, undefined, error);
        return last.result;
      }
    }
    const result = extractAnew(carrier, getter);
    if (extractOptions?.share === true && typeof carrier === 'object' && carrier !== null) {
      const names = codec.readNames;
      for (let i = 0; i < names.length; i++) last.values[i] = getter.get(carrier, names[i] as string);
      last.values.length = names.length;
      last.carrier = carrier;
      last.header = codec.readBaggage ? getter.get(carrier, 'baggage') : undefined;
      last.signature = codec.signature;
      last.result = result;
    }
    return result;
  }

  function extractAnew<C>(carrier: C, getter: CarrierGetter<C>): ExtractResult {
    let found: Found | undefined;
    for (let f = 0; f < FIELDS.length; f++) {
      const field = FIELDS[f] as Field;
      const names = codec.headerLists[f] as readonly string[];
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        const raw = getter.get(carrier, name);
        if (raw === undefined) continue;
        found ??= newFound(codec);
        if (accept(codec, found, field, name, raw)) break;
      }
    }
    for (let i = 0; i < codec.extra.length; i++) {
      const name = codec.extra[i] as string;
      const raw = getter.get(carrier, name);
      if (raw === undefined || raw === '') continue;
      found ??= newFound(codec);
      const error = checkValue(codec.rules, name, raw);
      if (error === undefined) (found.extra ??= Object.create(null) as Record<string, string>)[name] = raw;
      else found.errors = report(codec, found.errors, error);
    }
    let baggageHeader: string | undefined;
    if (codec.readBaggage) {
      const header = getter.get(carrier, 'baggage');
      if (header !== undefined && header !== '') {
        found ??= newFound(codec);
        // Oversized baggage keeps the whole members that fit (and reports the rest):
        // the spec forbids cutting a member, not keeping the first ones.
        scanBaggage(header, BAGGAGE_MAX_MEMBERS, codec.rules.maxHeaderBytes, READ_MEMBERS, found);
        baggageHeader = header;
      }
    }
    if (found === undefined) return NOTHING;
    const fields: string[] = [];
    if (found.color !== undefined) fields.push('color');
    if (found.user !== undefined) fields.push('user');
    if (found.shadow === true) fields.push('shadow');
    if (found.extra !== undefined) for (const key of Object.keys(found.extra)) fields.push(`extra:${key}`);
    const tag = createTag({
      color: found.color,
      user: found.user,
      shadow: found.shadow,
      extra: found.extra,
      passthroughBaggage: found.passthrough === undefined ? undefined : joinBaggage(found.passthrough),
    });
    if (baggageHeader !== undefined && tag !== EMPTY_TAG) tag.rememberBaggageSource(baggageHeader);
    return { tag, fields, errors: found.errors };
  }

  // The wire form of a tag depends only on the (immutable) tag and this
  // codec, so it is worked out once per tag and reused by every outbound call
  // of the request: validation, percent-encoding and baggage parsing leave the
  // per-call path, which only writes headers and merges existing baggage.
  // A tag from another copy of core may lack the slot: then it is worked out per call.
  const owner = {};
  function planFor(tag: Tag): InjectPlan {
    if (typeof tag.wireFormFor !== 'function') return makePlan(codec, tag);
    let plan = tag.wireFormFor(owner) as InjectPlan | undefined;
    if (plan === undefined) {
      plan = makePlan(codec, tag);
      tag.rememberWireForm(owner, plan);
    }
    return plan;
  }

  function inject<C>(tag: Tag, carrier: C, accessor: CarrierSetter<C> | CarrierAccessor<C>, injectOptions?: InjectOptions): void {
    if (tag === EMPTY_TAG) return;
    const plan = planFor(tag);
    // Problems are reported on every call, as if the tag were worked out anew.
    if (plan.errors !== undefined) for (const error of plan.errors) report(codec, undefined, error);
    const overwrite = injectOptions?.overwrite === true;
    const withPassthrough = injectOptions?.passthrough !== false;
    const reader = 'get' in accessor ? accessor : undefined;
    for (let i = 0; i < plan.headers.length; i += 2) {
      const name = plan.headers[i] as string;
      if (!overwrite && reader !== undefined && reader.get(carrier, name) !== undefined) continue;
      accessor.set(carrier, name, plan.headers[i + 1] as string);
    }
    const whole = withPassthrough ? plan.baggage : plan.ownBaggage;
    if (whole === undefined) return;
    const existing = reader?.get(carrier, 'baggage');
    if (existing === undefined || existing === '') {
      accessor.set(carrier, 'baggage', whole);
      return;
    }
    const drop = (error: InvalidTagError): void => {
      report(codec, undefined, error);
    };
    const onCarrier = parseBaggage(existing, drop);
    // Each key once. Members already on the carrier win (unless overwrite),
    // then the tag's entries, then the incoming request's unrelated members.
    const seen = new Set<string>();
    const out: string[] = [];
    const add = (key: string, raw: string): void => {
      if (seen.has(key)) return;
      seen.add(key);
      out.push(raw);
    };
    if (!overwrite) for (const m of onCarrier) add(m.key, m.raw);
    for (let i = 0; i < plan.memberKeys.length; i++) add(plan.memberKeys[i] as string, plan.members[i] as string);
    if (overwrite) for (const m of onCarrier) add(m.key, m.raw);
    if (withPassthrough) for (const m of plan.passthrough) add(m.key, m.raw);
    const value = joinBaggage(out, { onInvalid: drop });
    if (value !== undefined && value !== existing) accessor.set(carrier, 'baggage', value);
  }

  const reads = Object.freeze(codec.readBaggage ? [...codec.readNames, 'baggage'] : [...codec.readNames]);
  return { extract, inject, reads };
}

/**
 * The last extraction made with `share: true`, for every codec of this copy
 * of core. A traced service reads one request's headers twice in one
 * synchronous run: OpenTelemetry's propagator for the server span, then
 * dyeline ingress. With equal codec options the second reader gets the
 * first one's result instead of parsing the baggage again. Keyed by the
 * carrier object, the codec's options and every raw value read: another
 * request, other options or a changed header miss. Only sharing readers
 * write it, so a service without one pays a single comparison per read.
 */
interface LastExtraction {
  carrier: unknown;
  header: string | undefined;
  signature: number;
  values: (string | undefined)[];
  result: ExtractResult;
}

function sameValues<C>(values: readonly (string | undefined)[], carrier: C, getter: CarrierGetter<C>, names: readonly string[]): boolean {
  for (let i = 0; i < names.length; i++) if (getter.get(carrier, names[i] as string) !== values[i]) return false;
  return true;
}

const NOTHING: ExtractResult = Object.freeze({ tag: EMPTY_TAG, fields: Object.freeze([]) as readonly string[], errors: undefined });

const lastExtraction: LastExtraction = { carrier: undefined, header: undefined, signature: -1, values: [], result: NOTHING };

/** How one tag is written by one codec, worked out once (see `planFor`). */
interface InjectPlan {
  /** Dedicated and preset headers, flat: name, value, name, value. */
  readonly headers: readonly string[];
  /** The tag's own baggage members (`key=value`) and their keys. */
  readonly memberKeys: readonly string[];
  readonly members: readonly string[];
  /** The incoming request's unrelated baggage members. */
  readonly passthrough: readonly PassthroughMember[];
  /** The whole baggage header when the carrier has none yet; `undefined` when there is nothing to write. */
  readonly baggage: string | undefined;
  /** The same without the passthrough members. */
  readonly ownBaggage: string | undefined;
  /** What was dropped while working it out. */
  readonly errors: InvalidTagError[] | undefined;
}

/** A passthrough baggage member: its key, and the member as it goes on the wire. */
type PassthroughMember = Pick<BaggageMember, 'key' | 'raw'>;

/**
 * The tag's passthrough members. A passthrough a codec read from a header is
 * canonical members joined by `,` (see `readBaggage`): split, not parsed again.
 * One built in code may hold anything: parsed, the invalid dropped.
 */
function passthroughMembers(tag: Tag, drop: (error: InvalidTagError) => void): readonly PassthroughMember[] {
  const joined = tag.passthroughBaggage;
  if (joined === undefined) return [];
  if (typeof tag.baggageSource !== 'function' || tag.baggageSource() === undefined) return parseBaggage(joined, drop);
  const members: PassthroughMember[] = [];
  let start = 0;
  while (start < joined.length) {
    let end = joined.indexOf(',', start);
    if (end === -1) end = joined.length;
    const raw = joined.slice(start, end);
    members.push({ key: raw.slice(0, raw.indexOf('=')), raw });
    start = end + 1;
  }
  return members;
}

/** The value if it may be written, else `undefined` with the reason pushed to `errors`. */
function writableValue(codec: ResolvedCodec, field: string, value: string | undefined, errors: InvalidTagError[]): string | undefined {
  if (value === undefined) return undefined;
  // Nothing is written that extract would refuse: a tag built in code is
  // checked like one from the wire, so a bad value is dropped and reported
  // instead of making setHeader throw into the request.
  const error = checkValue(codec.rules, field, value) ??
    (!codec.checkPrintable || PRINTABLE.test(value) ? undefined : new InvalidTagError('bad-charset', field, 'not a printable ASCII header value'));
  if (error === undefined) return value;
  errors.push(error);
  return undefined;
}

/** Appends one field's headers and baggage members to the plan's lists. */
function planField(write: FieldWrite, value: string | undefined, plan: { headers: string[]; memberKeys: string[]; members: string[] }): void {
  if (value === undefined) return;
  for (const name of write.headers) plan.headers.push(name, value);
  if (write.baggageKeys.length === 0) return;
  const encoded = encodeBaggageValue(value);
  for (const key of write.baggageKeys) {
    plan.memberKeys.push(key);
    plan.members.push(`${key}=${encoded}`);
  }
}

function planMember(plan: { memberKeys: string[]; members: string[] }, key: string, value: string): void {
  plan.memberKeys.push(key);
  plan.members.push(`${key}=${encodeBaggageValue(value)}`);
}

// Once per request's tag, on its first outbound call: module-level helpers
// rather than closures, and no Set for the handful of members.
function makePlan(codec: ResolvedCodec, tag: Tag): InjectPlan {
  const errors: InvalidTagError[] = [];
  const drop = (error: InvalidTagError): void => {
    errors.push(error);
  };
  const lists = { headers: [] as string[], memberKeys: [] as string[], members: [] as string[] };
  const { headers, memberKeys, members } = lists;
  planField(codec.writes.color, writableValue(codec, 'color', tag.color, errors), lists);
  planField(codec.writes.user, writableValue(codec, 'user', tag.user, errors), lists);
  planField(codec.writes.shadow, tag.shadow ? '1' : undefined, lists);
  for (const key in tag.extra) {
    // Only configured entries: an arbitrary key would become an arbitrary header name.
    if (!codec.extra.includes(key)) {
      drop(new InvalidTagError('not-allowed', `extra:${key}`, 'not in options.extra or a preset; not written'));
      continue;
    }
    const value = writableValue(codec, `extra:${key}`, tag.extra[key], errors);
    if (value === undefined) continue;
    if (codec.writeHeaders) headers.push(key, value);
    if (codec.writeBaggage) planMember(lists, key, value);
  }
  let passthrough: readonly PassthroughMember[] = [];
  let baggage: string | undefined;
  let ownBaggage: string | undefined;
  if (codec.writeBaggage) {
    passthrough = passthroughMembers(tag, drop);
    if (members.length > 0 || passthrough.length > 0) {
      const out: string[] = [];
      const outKeys: string[] = [];
      // Each key once; a few members: a scan beats hashing.
      for (let i = 0; i < members.length; i++) {
        const key = memberKeys[i] as string;
        if (outKeys.includes(key)) continue;
        outKeys.push(key);
        out.push(members[i] as string);
      }
      // Its drops, if any, are the same as the whole header's below: reported once, there.
      if (out.length > 0 && passthrough.length > 0) ownBaggage = joinBaggage(out);
      for (const m of passthrough) {
        if (outKeys.includes(m.key)) continue;
        outKeys.push(m.key);
        out.push(m.raw);
      }
      baggage = joinBaggage(out, { onInvalid: drop });
    }
  }
  // Without passthrough members the two are the same header.
  if (passthrough.length === 0) ownBaggage = baggage;
  return { headers, memberKeys, members, passthrough, baggage, ownBaggage, errors: errors.length === 0 ? undefined : errors };
}
