/** Reads one request header by lowercase name; multi-valued headers joined with `, `. */
export type HeaderGetter = (name: string) => string | undefined;

/**
 * The view of an outbound request the router matches on. Build it once per
 * call; the router never mutates it.
 */
export interface RouteRequest {
  /** The logical host the caller named, e.g. `greeter` (a `:port` suffix is ignored). */
  readonly host: string;
  /** Path, optionally with `?query`. Default `/`. */
  readonly path?: string | undefined;
  /** Upper-case method. Default `GET`. */
  readonly method?: string | undefined;
  /** `http` or `https`. Default `http`. */
  readonly scheme?: string | undefined;
  /** Request headers: a getter, or a record (Node `IncomingHttpHeaders`, `OutgoingHttpHeaders`). */
  readonly headers?: HeaderGetter | Readonly<Record<string, string | string[] | number | undefined>> | undefined;
  /** Query parameters; parsed from `path` when absent. */
  readonly query?: ((name: string) => string | undefined) | undefined;
}

/** @internal */
export function readHeader(request: RouteRequest, name: string): string | undefined {
  const headers = request.headers;
  if (headers === undefined) return undefined;
  if (typeof headers === 'function') return headers(name);
  let value = headers[name];
  if (value === undefined) {
    for (const key in headers) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = headers[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return value.length === 0 ? undefined : value.join(', ');
}

/** The path without its query string. @internal */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/** One query parameter of `request`, decoded. @internal */
export function readQuery(request: RouteRequest, name: string): string | undefined {
  if (request.query !== undefined) return request.query(name);
  const path = request.path;
  if (path === undefined) return undefined;
  const q = path.indexOf('?');
  if (q === -1) return undefined;
  const value = new URLSearchParams(path.slice(q + 1)).get(name);
  return value ?? undefined;
}

/** One cookie of the request's `cookie` header, undecoded. @internal */
export function readCookie(request: RouteRequest, name: string): string | undefined {
  const header = readHeader(request, 'cookie');
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
