import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { compileRecordReader } from './record-reader.js';
import type { ValuesReader } from './record-reader.js';

/**
 * Reads one header (or metadata entry) from a carrier. `name` is lowercase.
 * A multi-valued entry is returned joined with `, ` as HTTP does.
 */
export interface CarrierGetter<C> {
  get(carrier: C, name: string): string | undefined;
  /**
   * Optional: a function that reads `names` from a carrier as `get` does,
   * one value per name, made once for hot paths that read the same names
   * from every request (ingress). {@link valuesReader} supplies one for
   * getters without it.
   */
  valuesReader?(names: readonly string[]): ValuesReader<C>;
}

/** `getter.valuesReader(names)`, or one that calls `getter.get` per name. */
export function valuesReader<C>(getter: CarrierGetter<C>, names: readonly string[]): ValuesReader<C> {
  if (getter.valuesReader !== undefined) return getter.valuesReader(names);
  return (carrier) => names.map((name) => getter.get(carrier, name));
}

/** Writes one header (or metadata entry) to a carrier. `name` is lowercase. */
export interface CarrierSetter<C> {
  set(carrier: C, name: string, value: string): void;
}

/** Both directions, for carriers that are read before being written (outbound merge). */
export type CarrierAccessor<C> = CarrierGetter<C> & CarrierSetter<C>;

function joinValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value.length === 0 ? undefined : value.join(', ');
}

/** Node's `req.headers` (already lowercased by Node). */
export const incomingHeadersGetter: CarrierGetter<IncomingHttpHeaders> = {
  get: (headers, name) => joinValue(headers[name]),
  valuesReader: (names) => compileRecordReader(names, joinValue as (value: unknown) => string | undefined),
};

/**
 * A plain header record such as `OutgoingHttpHeaders` or undici's object
 * headers. Keys may be in any case, so lookups fall back to a scan.
 */
export const headerRecordAccessor: CarrierAccessor<OutgoingHttpHeaders | Record<string, string | string[] | undefined>> = {
  get(headers, name) {
    const direct = headers[name];
    if (direct !== undefined) return joinValue(direct as string | string[] | number);
    for (const key of Object.keys(headers)) {
      if (sameHeaderName(key, name)) {
        return joinValue(headers[key] as string | string[] | number | undefined);
      }
    }
    return undefined;
  },
  set(headers, name, value) {
    for (const key of Object.keys(headers)) {
      if (key !== name && sameHeaderName(key, name)) delete headers[key];
    }
    headers[name] = value;
  },
};

/** The fetch API's `Headers`. */
export const fetchHeadersAccessor: CarrierAccessor<Headers> = {
  get: (headers, name) => headers.get(name) ?? undefined,
  set: (headers, name, value) => headers.set(name, value),
};

/**
 * `key` equals the lowercase header name `name`, ignoring ASCII case, without
 * allocating a lowercased copy (this runs for every key of every outbound
 * header record).
 */
function sameHeaderName(key: string, name: string): boolean {
  if (key.length !== name.length) return false;
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    const lower = code >= 65 && code <= 90 ? code + 32 : code;
    if (lower !== name.charCodeAt(i)) return false;
  }
  return true;
}
