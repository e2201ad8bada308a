// W3C Baggage (https://www.w3.org/TR/baggage/), parsed and written by hand:
// the grammar is small, and the codec must never throw on hostile input,
// which rules out decodeURIComponent (it throws on bad escapes and lone
// surrogates).
import { InvalidTagError } from './invalid-tag-error.js';

/** The spec's minimum a platform must propagate; also what dyeline writes at most. */
export const BAGGAGE_MAX_MEMBERS = 64;
/** The spec's minimum size a platform must propagate, in bytes. */
export const BAGGAGE_MAX_BYTES = 8192;

/** One baggage list-member. */
export interface BaggageMember {
  readonly key: string;
  /** The value, percent-decoded as UTF-8 (bad sequences become U+FFFD). */
  readonly value: string;
  /** The value as it was on the wire. */
  readonly rawValue: string;
  /** Properties as on the wire, each with its leading `;`, whitespace removed; `''` when none. */
  readonly properties: string;
  /** The whole member in canonical form, `key=value;prop;k=v`, ready to write back. */
  readonly raw: string;
}

/** Options of {@link parseBaggage} and {@link joinBaggage}. */
export interface BaggageLimits {
  /** Members kept at most. Default 64. */
  maxMembers?: number;
  /** Bytes kept at most. Default 8192. */
  maxBytes?: number;
  /** Called for each dropped member or truncation; must not throw. */
  onInvalid?: (error: InvalidTagError) => void;
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
const OCTET = new Uint8Array(128);
for (let c = 0x21; c <= 0x7e; c++) OCTET[c] = 1;
OCTET[0x22] = 0; // "
OCTET[0x2c] = 0; // ,
OCTET[0x3b] = 0; // ;
OCTET[0x5c] = 0; // \

// RFC 7230 tchar: what a key (and a property key) may be made of.
const TCHAR = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") TCHAR[ch.charCodeAt(0)] = 1;

function isTokenAt(s: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] !== 1) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  return isTokenAt(s, 0, s.length);
}

function isBaggageValueAt(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || OCTET[c] !== 1) return false;
  }
  return true;
}

function isBaggageValue(s: string): boolean {
  return isBaggageValueAt(s, 0, s.length);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function trimOws(s: string, start: number, end: number): string {
  while (start < end && isOws(s.charCodeAt(start))) start++;
  while (end > start && isOws(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Percent-decodes a raw baggage value as UTF-8. A `%` not followed by two hex
 * digits is kept literally; invalid UTF-8 becomes U+FFFD, as the spec says.
 */
export function decodeBaggageValue(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  const bytes = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw.charCodeAt(i + 1));
      const lo = hexValue(raw.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes[n++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    // Raw values are baggage-octets (ASCII) by the time they get here.
    bytes[n++] = c & 0xff;
  }
  return bytes.toString('utf8', 0, n);
}

const HEX = '0123456789ABCDEF';

/**
 * Percent-encodes `value` for a baggage value: only what must be (characters
 * outside baggage-octet) plus `%` itself, so that decoding gives `value` back.
 */
export function encodeBaggageValue(value: string): string {
  let clean = true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || OCTET[c] !== 1 || c === 0x25) {
      clean = false;
      break;
    }
  }
  if (clean) return value;
  // Buffer.from replaces lone surrogates with U+FFFD instead of throwing.
  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (const b of bytes) {
    out += b < 128 && OCTET[b] === 1 && b !== 0x25 ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Why a member was refused; an error is built only if it is reported (an Error costs µs). */
interface Invalid {
  readonly field: string;
  readonly message: string;
}

function malformed(field: string, message: string): Invalid {
  return { field, message };
}

/** Invalid members reported one by one; beyond that, one summary, so hostile input stays cheap. */
const MAX_REPORTED = 2;

function report(onInvalid: ((error: InvalidTagError) => void) | undefined, error: InvalidTagError): void {
  if (onInvalid === undefined) return;
  try {
    onInvalid(error);
  } catch {
    // A reporting hook must not break parsing.
  }
}

/** Where the next `;`, `=` and `,` are, so that no part of the header is scanned twice. */
interface Scan {
  semi: number;
  eq: number;
  comma: number;
}

/**
 * Index of `ch` in header[from, end), or `end`. Uses the native indexOf, but
 * never rescans: a member without `;` would otherwise scan the rest of the
 * header each time, quadratic on hostile input. (One function per character:
 * a slot picked by a computed key was a keyed load, a sixth of a parse.)
 */
function nextSemi(scan: Scan, header: string, from: number, end: number): number {
  if (scan.semi < from) scan.semi = found(header.indexOf(';', from), header);
  return scan.semi < end ? scan.semi : end;
}

function nextEq(scan: Scan, header: string, from: number, end: number): number {
  if (scan.eq < from) scan.eq = found(header.indexOf('=', from), header);
  return scan.eq < end ? scan.eq : end;
}

function nextComma(scan: Scan, header: string, from: number, end: number): number {
  if (scan.comma < from) scan.comma = found(header.indexOf(',', from), header);
  return scan.comma < end ? scan.comma : end;
}

/** indexOf's -1 as "at the end". */
function found(at: number, header: string): number {
  return at === -1 ? header.length : at;
}

/**
 * Where one list-member lies in the header. {@link scanBaggage} reuses one
 * span for every member, so a reader slices only the parts it needs (the
 * codec reads most members' keys and nothing else).
 */
export interface BaggageSpan {
  /** The member as written: `header.slice(start, end)`. */
  start: number;
  end: number;
  /** The key, whitespace trimmed. */
  keyStart: number;
  keyEnd: number;
  /** The raw (still percent-encoded) value, whitespace trimmed. */
  valueStart: number;
  valueEnd: number;
  /** Properties, each with its leading `;`, whitespace removed; `''` when none. */
  properties: string;
  /** True when `header.slice(start, end)` already is the canonical `key=value;props`. */
  canonical: boolean;
}

/** What {@link scanBaggage} calls back, with the state it was given (no closure per scan). */
export interface BaggageVisitor<S> {
  /** A valid list-member. The span is reused: copy what you keep. */
  member(state: S, header: string, span: Readonly<BaggageSpan>): void;
  /** An invalid member, a truncation, or too many members. Absent: nothing is built or reported. */
  invalid?(state: S, error: InvalidTagError): void;
}

/** The key of the member in `span`. */
export function spanKey(header: string, span: Readonly<BaggageSpan>): string {
  return header.slice(span.keyStart, span.keyEnd);
}

/** The raw (percent-encoded) value of the member in `span`. */
export function spanRawValue(header: string, span: Readonly<BaggageSpan>): string {
  return header.slice(span.valueStart, span.valueEnd);
}

/** The member in canonical form, `key=value;prop;k=v`, ready to write back. */
export function spanText(header: string, span: Readonly<BaggageSpan>): string {
  // Most members arrive canonical already: reuse the slice instead of building a string.
  if (span.canonical) return header.slice(span.start, span.end);
  return `${spanKey(header, span)}=${spanRawValue(header, span)}${span.properties}`;
}

/**
 * Reads the member at `start` when it is the usual kind, `token=octets`
 * followed by `,` or the end: no whitespace, no properties. Returns where it
 * ends (its `,`, or `end`), or -1 for anything else, which {@link readMember}
 * then reads. One pass over the characters, classifying and delimiting at once.
 */
function readSimpleMember(header: string, start: number, end: number, span: BaggageSpan): number {
  let i = start;
  while (i < end) {
    const c = header.charCodeAt(i);
    if (c >= 128 || TCHAR[c] !== 1) break;
    i++;
  }
  if (i === start || i === end || header.charCodeAt(i) !== 0x3d) return -1;
  const eq = i++;
  while (i < end) {
    const c = header.charCodeAt(i);
    if (c >= 128 || OCTET[c] !== 1) break;
    i++;
  }
  if (i < end && header.charCodeAt(i) !== 0x2c) return -1;
  span.start = start;
  span.end = i;
  span.keyStart = start;
  span.keyEnd = eq;
  span.valueStart = eq + 1;
  span.valueEnd = i;
  span.properties = '';
  span.canonical = true;
  return i;
}

/** Reads the list-member in header[start, end) into `span`; returns why it is invalid, or undefined. */
function readMember(scan: Scan, header: string, start: number, end: number, span: BaggageSpan): Invalid | undefined {
  const headEnd = nextSemi(scan, header, start, end);
  const eq = nextEq(scan, header, start, headEnd);
  if (eq === headEnd) return malformed('baggage', 'list-member without "="');
  let keyStart = start;
  let keyEnd = eq;
  while (keyStart < keyEnd && isOws(header.charCodeAt(keyStart))) keyStart++;
  while (keyEnd > keyStart && isOws(header.charCodeAt(keyEnd - 1))) keyEnd--;
  if (!isTokenAt(header, keyStart, keyEnd)) return malformed('baggage', 'list-member key is not a token');
  let valueStart = eq + 1;
  let valueEnd = headEnd;
  while (valueStart < valueEnd && isOws(header.charCodeAt(valueStart))) valueStart++;
  while (valueEnd > valueStart && isOws(header.charCodeAt(valueEnd - 1))) valueEnd--;
  if (!isBaggageValueAt(header, valueStart, valueEnd)) {
    return malformed(`baggage.${header.slice(keyStart, keyEnd)}`, 'value has characters outside baggage-octet');
  }
  let properties = '';
  let p = headEnd;
  while (p < end) {
    const propEnd = nextSemi(scan, header, p + 1, end);
    const propEq = nextEq(scan, header, p + 1, propEnd);
    if (propEq < propEnd) {
      const pk = trimOws(header, p + 1, propEq);
      const pv = trimOws(header, propEq + 1, propEnd);
      if (!isToken(pk) || !isBaggageValue(pv)) return malformed(`baggage.${header.slice(keyStart, keyEnd)}`, 'invalid property');
      properties += `;${pk}=${pv}`;
    } else {
      const pk = trimOws(header, p + 1, propEnd);
      // Tolerate an empty property (`k=v;`), as most implementations do.
      if (pk.length > 0) {
        if (!isToken(pk)) return malformed(`baggage.${header.slice(keyStart, keyEnd)}`, 'invalid property');
        properties += `;${pk}`;
      }
    }
    p = propEnd;
  }
  span.start = start;
  span.end = end;
  span.keyStart = keyStart;
  span.keyEnd = keyEnd;
  span.valueStart = valueStart;
  span.valueEnd = valueEnd;
  span.properties = properties;
  span.canonical = keyStart === start && keyEnd === eq && valueStart === eq + 1 && valueEnd === headEnd && end - headEnd === properties.length;
  return undefined;
}

/**
 * Walks a `baggage` header (several headers joined with `,` are fine),
 * calling `visitor.member` for each valid list-member in order. Never throws:
 * invalid members are skipped and reported through `visitor.invalid` (the
 * first two one by one, the rest in one summary); members beyond
 * `maxMembers` (valid or not), or beyond `maxBytes` of input, are skipped
 * whole, unread, and reported once.
 */
export function scanBaggage<S>(header: string, maxMembers: number, maxBytes: number, visitor: BaggageVisitor<S>, state: S): void {
  let end = header.length;
  if (end > maxBytes) {
    // Keep only members that lie wholly inside the first maxBytes bytes.
    const cut = header.lastIndexOf(',', maxBytes);
    end = cut === -1 ? 0 : cut;
    visitor.invalid?.(state, new InvalidTagError('header-too-large', 'baggage', `header of ${header.length} bytes exceeds ${maxBytes}; members beyond it dropped`));
  }
  const span: BaggageSpan = { start: 0, end: 0, keyStart: 0, keyEnd: 0, valueStart: 0, valueEnd: 0, properties: '', canonical: true };
  let start = 0;
  let seen = 0;
  let dropped = false;
  let invalid = 0;
  const scan: Scan = { semi: -1, eq: -1, comma: -1 };
  while (start < end) {
    let s = start;
    while (s < end && isOws(header.charCodeAt(s))) s++;
    if (s < end && header.charCodeAt(s) !== 0x2c && seen < maxMembers) {
      const simpleEnd = readSimpleMember(header, s, end, span);
      if (simpleEnd !== -1) {
        seen++;
        visitor.member(state, header, span);
        start = simpleEnd + 1;
        continue;
      }
    }
    const comma = nextComma(scan, header, start, end);
    if (s < comma) {
      // Invalid members count too: the limit bounds the work, not just the result.
      if (seen >= maxMembers) {
        // Whatever follows is dropped unread.
        dropped = true;
        break;
      }
      seen++;
      const problem = readMember(scan, header, s, comma, span);
      if (problem === undefined) visitor.member(state, header, span);
      else if (invalid++ < MAX_REPORTED && visitor.invalid !== undefined) visitor.invalid(state, new InvalidTagError('malformed', problem.field, problem.message));
    }
    start = comma + 1;
  }
  if (invalid > MAX_REPORTED) {
    visitor.invalid?.(state, new InvalidTagError('malformed', 'baggage', `${invalid - MAX_REPORTED} more invalid list-members dropped`));
  }
  if (dropped) visitor.invalid?.(state, new InvalidTagError('too-many', 'baggage', `more than ${maxMembers} list-members; the rest dropped`));
}

interface Parsing {
  readonly members: BaggageMember[];
  readonly onInvalid: ((error: InvalidTagError) => void) | undefined;
}

function toMember(parsing: Parsing, header: string, span: Readonly<BaggageSpan>): void {
  const rawValue = spanRawValue(header, span);
  parsing.members.push({
    key: spanKey(header, span),
    value: decodeBaggageValue(rawValue),
    rawValue,
    properties: span.properties,
    raw: spanText(header, span),
  });
}

const COLLECT: BaggageVisitor<Parsing> = {
  member: toMember,
  invalid: (parsing, error) => report(parsing.onInvalid, error),
};
// Without a hook, no error is even built (an Error costs µs).
const COLLECT_SILENTLY: BaggageVisitor<Parsing> = { member: toMember };

/**
 * Parses a `baggage` header (several headers joined with `,` are fine).
 * Never throws: invalid members are dropped and reported through
 * `onInvalid` (the first two one by one, the rest in one summary); members
 * beyond `maxMembers` (valid or not), or beyond `maxBytes` of input, are
 * dropped whole, unread, and reported once.
 */
export function parseBaggage(
  header: string,
  options: BaggageLimits | ((error: InvalidTagError) => void) = {},
): BaggageMember[] {
  if (typeof options === 'function') options = { onInvalid: options };
  const parsing: Parsing = { members: [], onInvalid: options.onInvalid };
  scanBaggage(
    header,
    options.maxMembers ?? BAGGAGE_MAX_MEMBERS,
    options.maxBytes ?? BAGGAGE_MAX_BYTES,
    parsing.onInvalid === undefined ? COLLECT_SILENTLY : COLLECT,
    parsing,
  );
  return parsing.members;
}

/** `key=<percent-encoded value>`. */
export function formatBaggageEntry(key: string, value: string): string {
  return `${key}=${encodeBaggageValue(value)}`;
}

/**
 * Joins serialised members with `,`, keeping as many whole members, in order,
 * as fit in `maxMembers` and `maxBytes`; the rest are dropped and reported.
 * Returns `undefined` when nothing is left to write.
 */
export function joinBaggage(members: readonly string[], options: BaggageLimits = {}): string | undefined {
  const maxMembers = options.maxMembers ?? BAGGAGE_MAX_MEMBERS;
  const maxBytes = options.maxBytes ?? BAGGAGE_MAX_BYTES;
  let out = '';
  // A UTF-16 unit is at most 3 bytes of UTF-8. While three times the
  // characters fit, so do the bytes, uncounted; past that, count exactly.
  let bound = 0;
  let bytes = -1;
  let count = 0;
  let tooMany = 0;
  let tooLarge = 0;
  for (const member of members) {
    if (count >= maxMembers) {
      tooMany++;
      continue;
    }
    const separator = count === 0 ? 0 : 1;
    if (bytes === -1 && bound + member.length * 3 + separator <= maxBytes) {
      bound += member.length * 3 + separator;
    } else {
      if (bytes === -1) bytes = Buffer.byteLength(out);
      const size = Buffer.byteLength(member) + separator;
      if (bytes + size > maxBytes) {
        tooLarge++;
        continue;
      }
      bytes += size;
    }
    out = count === 0 ? member : `${out},${member}`;
    count++;
  }
  if (tooMany > 0) report(options.onInvalid, new InvalidTagError('too-many', 'baggage', `more than ${maxMembers} list-members; ${tooMany} not written`));
  if (tooLarge > 0) report(options.onInvalid, new InvalidTagError('header-too-large', 'baggage', `${tooLarge} list-members not written: over ${maxBytes} bytes`));
  return count === 0 ? undefined : out;
}
