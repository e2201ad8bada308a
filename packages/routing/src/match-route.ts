import type { Tag } from '@dyeline/core';
import { TagSource } from './compile-rules.js';
import type { CompiledCondition, CompiledMatch, CompiledRoute } from './compile-rules.js';
import { pathOnly, readHeader, readQuery } from './route-request.js';
import type { RouteRequest } from './route-request.js';

/** A header as rules see it: the request's own header, else the tag's field under that name. */
function headerValue(request: RouteRequest, tag: Tag | undefined, cond: CompiledCondition): string | undefined {
  const value = readHeader(request, cond.name);
  if (value !== undefined || tag === undefined) return value;
  switch (cond.source) {
    case TagSource.Color:
      return tag.color;
    case TagSource.User:
      return tag.user;
    default:
      return tag.extra[cond.name];
  }
}

function conditionHolds(value: string | undefined, cond: CompiledCondition): boolean {
  return value !== undefined && (cond.test === undefined || cond.test(value));
}

/** True when every condition of one match block holds (AND). @internal */
export function matchBlock(request: RouteRequest, tag: Tag | undefined, m: CompiledMatch): boolean {
  for (const cond of m.headers) if (!conditionHolds(headerValue(request, tag, cond), cond)) return false;
  // withoutHeaders: the request matches when the condition does *not* hold.
  for (const cond of m.without) if (conditionHolds(headerValue(request, tag, cond), cond)) return false;
  if (m.uri !== undefined && !m.uri(pathOnly(request.path ?? '/'))) return false;
  if (m.method !== undefined && !m.method(request.method ?? 'GET')) return false;
  if (m.authority !== undefined && !m.authority(request.host)) return false;
  if (m.scheme !== undefined && !m.scheme(request.scheme ?? 'http')) return false;
  for (const cond of m.query) if (!conditionHolds(readQuery(request, cond.name), cond)) return false;
  return true;
}

/** True when any match block holds (OR); a route without blocks is the catch-all. @internal */
export function matchRoute(request: RouteRequest, tag: Tag | undefined, route: CompiledRoute): number {
  const matches = route.matches;
  if (matches.length === 0) return 0;
  for (let i = 0; i < matches.length; i++) if (matchBlock(request, tag, matches[i] as CompiledMatch)) return i;
  return -1;
}
