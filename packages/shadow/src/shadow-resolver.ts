import { ShadowIsolationError, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';

/** Options of {@link createShadowResolver}. */
export interface ShadowResolverOptions {
  /** Prefix of shadow names (tables, keys, channels, queues, topics). Default `'shadow_'`. */
  prefix?: string;
  /** Suffix of shadow names. Default `''`. Prefix and suffix may both be set; at least one must be non-empty. */
  suffix?: string;
  /** What a production (non-shadow) request touching a shadow name/target gets. Default `'error'`. */
  reverseGuard?: 'error' | 'report';
  /**
   * Receives reverse-guard reports (and nothing else); must not throw (a throw
   * is swallowed). Default: `process.emitWarning`.
   */
  onReport?: (error: ShadowIsolationError) => void;
}

/**
 * Decides, for the current tag, between production and shadow targets and
 * names. Shared by every shadow adapter (pg, PGlite, ioredis, queues, kafka,
 * the outbound guard), so one configuration governs them all.
 */
export interface ShadowResolver {
  /** The shadow name prefix. */
  readonly prefix: string;
  /** The shadow name suffix. */
  readonly suffix: string;
  /** True when `tag` (default: the current tag) is shadow traffic. */
  isShadow(tag?: Tag): boolean;
  /** True when `name` already is a shadow name (has the prefix and suffix around a non-empty base). */
  isShadowName(name: string): boolean;
  /** `productionName` → `prefix + productionName + suffix`. Pure, no guard. */
  shadowName(productionName: string): string;
  /**
   * The name the current request must use: the shadow name under shadow (a
   * name that already is shadow stays as is), the name itself otherwise. A
   * production request naming a shadow name meets the reverse guard.
   * `kind` ('table', 'key', 'queue', …) only feeds error messages.
   *
   * @throws {ShadowIsolationError} when a production request names a shadow name and `reverseGuard` is `'error'`.
   */
  name(name: string, kind: string, tag?: Tag): string;
  /**
   * Picks between a production and a shadow target (a pool, a client, a
   * schema name). Nothing is called on either.
   *
   * @throws {ShadowIsolationError} when the request is shadow and `targets.shadow` is `undefined` (fail closed).
   */
  pick<T>(targets: { production: T; shadow: T | undefined }, what: string, tag?: Tag): T;
  /**
   * The reverse guard on its own, for a resource that is shadow by
   * construction (a shadow pool, a shadow client).
   *
   * @throws {ShadowIsolationError} when a non-shadow request touches it and `reverseGuard` is `'error'`.
   */
  guardShadowTarget(what: string, tag?: Tag): void;
}

function defaultReport(error: ShadowIsolationError): void {
  process.emitWarning(error.message, { type: 'DyelineShadowIsolation', code: error.code });
}

function optionalString(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new TypeError(`createShadowResolver: option "${name}" must be a string`);
  // Names travel into SQL identifiers, Redis keys and topic names: keep the
  // affixes to characters that are plain in all of them.
  if (!/^[A-Za-z0-9_.:-]*$/.test(value)) {
    throw new TypeError(`createShadowResolver: option "${name}" may only contain letters, digits, "_", ".", ":" and "-"`);
  }
  return value;
}

/**
 * Creates a shadow resolver. Options are checked here, never per call.
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function createShadowResolver(options: ShadowResolverOptions = {}): ShadowResolver {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createShadowResolver: options must be an object');
  }
  const prefix = optionalString('prefix', options.prefix, 'shadow_');
  const suffix = optionalString('suffix', options.suffix, '');
  if (prefix === '' && suffix === '') {
    throw new TypeError('createShadowResolver: option "prefix" or "suffix" must be non-empty');
  }
  const mode = options.reverseGuard ?? 'error';
  if (mode !== 'error' && mode !== 'report') {
    throw new TypeError('createShadowResolver: option "reverseGuard" must be "error" or "report"');
  }
  if (options.onReport !== undefined && typeof options.onReport !== 'function') {
    throw new TypeError('createShadowResolver: option "onReport" must be a function');
  }
  const onReport = options.onReport ?? defaultReport;
  const affixLength = prefix.length + suffix.length;

  function isShadow(tag: Tag | undefined = currentTag()): boolean {
    return tag !== undefined && tag.shadow;
  }

  function isShadowName(name: string): boolean {
    return name.length > affixLength && name.startsWith(prefix) && name.endsWith(suffix);
  }

  function reverse(what: string, message: string): void {
    const error = new ShadowIsolationError(what, message);
    if (mode === 'error') throw error;
    try {
      onReport(error);
    } catch {
      // A report hook must not turn an observation into a failed request.
    }
  }

  return Object.freeze({
    prefix,
    suffix,
    isShadow,
    isShadowName,
    shadowName(productionName: string): string {
      return prefix + productionName + suffix;
    },
    name(name: string, kind: string, tag?: Tag): string {
      if (typeof name !== 'string' || name === '') {
        throw new TypeError(`shadow resolver: ${kind} name must be a non-empty string`);
      }
      if (isShadow(tag)) return isShadowName(name) ? name : prefix + name + suffix;
      if (isShadowName(name)) {
        reverse(`${kind} ${name}`, `A production request touched shadow ${kind} "${name}"`);
      }
      return name;
    },
    pick<T>(targets: { production: T; shadow: T | undefined }, what: string, tag?: Tag): T {
      if (!isShadow(tag)) return targets.production;
      const shadow = targets.shadow;
      // `null` counts as missing too: a config loader may produce either.
      if (shadow === undefined || shadow === null) {
        throw new ShadowIsolationError(what, `Shadow request refused: no shadow target is configured for ${what}`);
      }
      return shadow;
    },
    guardShadowTarget(what: string, tag?: Tag): void {
      if (!isShadow(tag)) reverse(what, `A production request touched shadow target ${what}`);
    },
  });
}
