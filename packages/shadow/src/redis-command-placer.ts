import { ShadowIsolationError } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { exists, getKeyIndexes } from '@ioredis/commands';
import type { ShadowResolver } from './shadow-resolver.js';

/** One argument of a Redis command as ioredis holds it after flattening. */
export type RedisArg = string | Buffer | number;

// Keyless commands a shadow request may still send on a shared connection:
// connection and transaction plumbing that reads or writes no data. Key
// positions themselves come from ioredis' own table (@ioredis/commands);
// everything keyless and not listed here (FLUSHALL, DBSIZE, RANDOMKEY, SELECT,
// SWAPDB, CLIENT, CONFIG, PUBSUB, EVAL with 0 keys…) is refused.
const KEYLESS_SAFE = new Set(['ping', 'echo', 'multi', 'exec', 'discard', 'unwatch', 'quit', 'time', 'info', 'wait', 'waitaof']);
const CHANNEL_COMMANDS = new Set(['subscribe', 'unsubscribe', 'ssubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe']);

function refuse(name: string, why: string): ShadowIsolationError {
  return new ShadowIsolationError(`redis command ${name}`, `Shadow request refused: redis command "${name}" ${why}`);
}

/**
 * Rewrites the arguments of one Redis command, in place, for the request of
 * `tag`: under shadow every key, channel and pattern gets the shadow name;
 * in production each is checked by the reverse guard. Key positions come from
 * `@ioredis/commands` (the table ioredis' own `keyPrefix` uses).
 *
 * @throws {ShadowIsolationError} under shadow when the command's keys cannot
 * be placed (unknown command, keyless data command, script without declared
 * keys); in production when a key names a shadow key and the guard is `'error'`.
 */
export function placeRedisCommand(resolver: ShadowResolver, rawName: string, args: RedisArg[], tag: Tag | undefined): void {
  const shadow = resolver.isShadow(tag);
  let name = rawName;
  if (!exists(name)) {
    name = rawName.toLowerCase();
    if (!exists(name)) {
      if (shadow) throw refuse(rawName, 'is unknown to ioredis\' command table, so its keys cannot be placed');
      return;
    }
  }
  switch (name) {
    case 'keys':
      if (args.length > 0) args[0] = place(resolver, args[0]!, 'key pattern', tag);
      return;
    case 'scan':
      placeScanMatch(resolver, args, shadow, tag);
      return;
    case 'publish':
    case 'spublish':
      if (args.length > 0) args[0] = place(resolver, args[0]!, 'channel', tag);
      return;
    case 'sort':
    case 'sort_ro':
      placeSort(resolver, args, tag);
      return;
    default:
      if (CHANNEL_COMMANDS.has(name)) {
        for (let i = 0; i < args.length; i++) args[i] = place(resolver, args[i]!, 'channel', tag);
        return;
      }
  }
  const indexes = getKeyIndexes(name, args);
  if (indexes.length > 0) {
    for (const i of indexes) args[i] = place(resolver, args[i]!, 'key', tag);
    return;
  }
  if (!shadow || KEYLESS_SAFE.has(name)) return;
  if (name === 'script') {
    const sub = String(args[0] ?? '').toLowerCase();
    if (sub === 'load' || sub === 'exists') return;
  }
  throw refuse(rawName, 'names no key the shadow prefix can be put on (it would act on production data)');
}

/** The name of one key/channel/pattern for the request: shadow name under shadow, guarded in production. */
function place(resolver: ShadowResolver, arg: RedisArg, kind: string, tag: Tag | undefined): RedisArg {
  if (typeof arg === 'string') return resolver.name(arg, kind, tag);
  if (typeof arg === 'number') return resolver.name(String(arg), kind, tag);
  // Buffers: the affixes are ASCII (the resolver enforces it), so latin1 keeps
  // byte offsets and the prefix test exact; the key bytes stay untouched.
  const text = arg.toString('latin1');
  const placed = resolver.name(text, kind, tag);
  if (placed === text) return arg;
  return Buffer.concat([Buffer.from(resolver.prefix, 'latin1'), arg, Buffer.from(resolver.suffix, 'latin1')]);
}

function placeScanMatch(resolver: ShadowResolver, args: RedisArg[], shadow: boolean, tag: Tag | undefined): void {
  for (let i = 1; i < args.length - 1; i += 2) {
    if (String(args[i]).toLowerCase() === 'match') {
      args[i + 1] = place(resolver, args[i + 1]!, 'key pattern', tag);
      return;
    }
  }
  // A shadow SCAN without MATCH would walk production keys: restrict it.
  if (shadow) args.push('MATCH', resolver.shadowName('*'));
}

function placeSort(resolver: ShadowResolver, args: RedisArg[], tag: Tag | undefined): void {
  for (const entry of getKeyIndexes('sort', args, { parseExternalKey: true }) as Array<number | [number, number]>) {
    if (typeof entry === 'number') {
      args[entry] = place(resolver, args[entry]!, 'key', tag);
      continue;
    }
    // BY/GET pattern `key*->field`: the key part is the first `length` characters.
    const [index, length] = entry;
    const text = String(args[index]);
    args[index] = String(place(resolver, text.slice(0, length), 'key pattern', tag)) + text.slice(length);
  }
}
