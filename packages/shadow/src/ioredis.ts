import { ShadowIsolationError, currentTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import type { Redis } from 'ioredis';
import { list as commandList } from '@ioredis/commands';
import { placeRedisCommand } from './redis-command-placer.js';
import { installPubsubTagging } from './redis-pubsub-tag.js';
import type { RedisArg } from './redis-command-placer.js';
import { createShadowResolver } from './shadow-resolver.js';
import type { ShadowResolver } from './shadow-resolver.js';

/** Options of {@link shadowRedis}; checked once, when the wrapper is built. */
export interface ShadowRedisOptions {
  /** The production client. Not modified: the wrapper is a separate object linked to it by prototype. */
  production: Redis;
  /** A separate shadow client (another server or database). Selects the `'client'` strategy. */
  shadow?: Redis;
  /**
   * `'client'`: shadow commands go to `shadow` (no shadow client → refused);
   * `'prefix'`: one client, every key/channel/pattern gets the resolver's shadow name.
   * Default: `'client'` when `shadow` is given, else `'prefix'`.
   */
  strategy?: 'client' | 'prefix';
  /** Names, reverse guard and shadow detection. Default: `createShadowResolver()` (`shadow_` prefix). */
  resolver?: ShadowResolver;
}

// What the wrapper touches of ioredis beyond its public types.
type AnyFn = (...args: unknown[]) => unknown;
interface CommandInternals {
  name: string;
  args: RedisArg[];
  keys?: unknown;
  slot?: unknown;
  /** Set by ioredis' Pipeline when the command is queued on one. */
  pipelineIndex?: number;
  reject(error: Error): void;
  promise: Promise<unknown>;
}
interface PipelineInternals {
  sendCommand(command: CommandInternals): unknown;
  addBatch(commands: unknown[][]): unknown;
}

// Commander-generated command methods: they only read `this` (options) and
// call `this.sendCommand`, so they run with the wrapper as `this`. Every other
// method runs on the production client itself, so its state stays there.
const COMMAND_METHODS = new Set<string>(['call', 'callBuffer', 'send_command', 'exec', 'execBuffer', 'createScanStream']);
for (const name of commandList) {
  COMMAND_METHODS.add(name);
  COMMAND_METHODS.add(`${name}Buffer`);
}
const SCAN_STREAMS = [
  'scanStream', 'scanBufferStream', 'sscanStream', 'sscanBufferStream',
  'hscanStream', 'hscanBufferStream', 'zscanStream', 'zscanBufferStream',
] as const;

interface State {
  readonly production: Redis;
  readonly shadow: Redis | undefined;
  readonly prefix: boolean;
  readonly resolver: ShadowResolver;
}

/**
 * Wraps an ioredis client so that shadow requests (per the current tag) use
 * a shadow client, or shadow names on the same client, and production
 * requests never touch shadow keys. Every command — direct, in `pipeline()` /
 * `multi()`, script, scan stream — is decided synchronously when it is
 * issued, from the tag in force at that moment, before ioredis queues it.
 *
 * Under the prefix strategy a command whose keys ioredis' command table cannot
 * locate (FLUSHALL, CLIENT, an unknown module command, EVAL with 0 keys, …)
 * is refused for shadow requests with a `ShadowIsolationError` (a rejected
 * promise; a synchronous throw when queued on a pipeline).
 *
 * @throws {TypeError} naming the option when options are invalid.
 */
export function shadowRedis(options: ShadowRedisOptions): Redis {
  if (typeof options !== 'object' || options === null) throw new TypeError('shadowRedis: options must be an object');
  if (!isClient(options.production)) throw new TypeError('shadowRedis: option "production" must be an ioredis client');
  if (options.shadow !== undefined && !isClient(options.shadow)) {
    throw new TypeError('shadowRedis: option "shadow" must be an ioredis client');
  }
  if ((options.production as { isCluster?: boolean }).isCluster === true || (options.shadow as { isCluster?: boolean } | undefined)?.isCluster === true) {
    throw new TypeError('shadowRedis: ioredis Cluster clients are not supported; wrap a standalone Redis client');
  }
  if (options.shadow === options.production) {
    throw new TypeError('shadowRedis: option "shadow" must not be the production client');
  }
  const strategy = options.strategy ?? (options.shadow === undefined ? 'prefix' : 'client');
  if (strategy !== 'client' && strategy !== 'prefix') {
    throw new TypeError('shadowRedis: option "strategy" must be "client" or "prefix"');
  }
  if (options.resolver !== undefined && typeof options.resolver?.name !== 'function') {
    throw new TypeError('shadowRedis: option "resolver" must be a ShadowResolver');
  }
  const state: State = {
    production: options.production,
    shadow: options.shadow,
    prefix: strategy === 'prefix',
    resolver: options.resolver ?? createShadowResolver(),
  };
  return wrap(state, undefined);
}

function isClient(value: unknown): value is Redis {
  return typeof value === 'object' && value !== null && typeof (value as { sendCommand?: unknown }).sendCommand === 'function';
}

/** `pinned` fixes the tag for objects that issue commands later (scan streams). */
function wrap(state: State, pinned: { tag: Tag | undefined } | undefined): Redis {
  const { production, resolver } = state;
  const tagNow = pinned === undefined ? currentTag : () => pinned.tag;
  const clientFor = (tag: Tag | undefined): Redis =>
    resolver.pick({ production, shadow: state.shadow }, 'redis', tag);

  // Auto-pipelining would queue the wrapper's commands on pipelines shared
  // with bare callers of the same client; the wrapper sends directly instead.
  const productionOptions = production.options;
  const options = productionOptions.enableAutoPipelining === true
    ? { ...productionOptions, enableAutoPipelining: false }
    : productionOptions;

  const decide = (command: CommandInternals, tag: Tag | undefined): void => {
    placeRedisCommand(resolver, command.name, command.args, tag);
    if (command.keys !== undefined) {
      // ioredis cached the keys (keyPrefix, cluster slot); they changed.
      command.keys = undefined;
      command.slot = undefined;
    }
  };

  const patchPipeline = (pipeline: PipelineInternals, createdShadow: boolean): void => {
    const send = pipeline.sendCommand;
    pipeline.sendCommand = function sendCommand(command: CommandInternals) {
      const tag = tagNow();
      if (state.prefix) decide(command, tag);
      else if (resolver.isShadow(tag) !== createdShadow) {
        throw new ShadowIsolationError('redis pipeline', 'A pipeline created for one of shadow/production traffic was used by the other');
      }
      return send.call(this, command);
    };
  };

  const pipelineOf = (make: (receiver: Redis) => unknown, commands: unknown): unknown => {
    const tag = tagNow();
    const receiver = state.prefix ? wrapper : clientFor(tag);
    const pipeline = make(receiver) as PipelineInternals;
    patchPipeline(pipeline, resolver.isShadow(tag));
    if (Array.isArray(commands)) pipeline.addBatch(commands as unknown[][]);
    return pipeline;
  };

  // A prototype-linked object, not a Proxy: command methods reach their
  // options and sendCommand through ordinary (inline-cached) property loads.
  // Two layers: the many forwarders sit on a middle object, so the wrapper
  // itself stays small (fast properties) and holds what commands read.
  const forwarders = Object.create(production) as Record<string, unknown>;
  let p: object | null = Object.getPrototypeOf(production) as object | null;
  while (p !== null && p !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(p)) {
      if (name === 'constructor' || COMMAND_METHODS.has(name) || Object.prototype.hasOwnProperty.call(forwarders, name)) continue;
      if (typeof (production as unknown as Record<string, unknown>)[name] !== 'function') continue;
      forwarders[name] = function forward(...args: unknown[]) {
        return ((production as unknown as Record<string, AnyFn>)[name]!).apply(production, args);
      };
    }
    p = Object.getPrototypeOf(p) as object | null;
  }
  const wrapper = Object.create(forwarders) as Redis;
  const overrides = wrapper as unknown as Record<string, unknown>;
  // ioredis never reassigns `options` after construction; an own copy of the
  // reference saves two prototype hops on every command.
  overrides.options = options;
  overrides.sendCommand = function sendCommand(command: CommandInternals, stream?: unknown, node?: unknown) {
    // Queued on a wrapper pipeline: placed when it was queued, sent now by exec.
    if (command.pipelineIndex !== undefined) return (production.sendCommand as AnyFn).call(production, command, stream, node);
    const tag = tagNow();
    let client: Redis;
    try {
      client = state.prefix ? production : clientFor(tag);
      if (state.prefix) decide(command, tag);
    } catch (error) {
      command.reject(error as Error);
      return command.promise;
    }
    return (client.sendCommand as AnyFn).call(client, command, stream, node);
  };
  overrides.pipeline = (commands?: unknown) =>
    pipelineOf((receiver) => (production.pipeline as AnyFn).call(receiver), commands);
  overrides.multi = (commands?: unknown, multiOptions?: unknown) => {
    const opts = multiOptions === undefined && !Array.isArray(commands) ? commands : multiOptions;
    if ((opts as { pipeline?: boolean } | undefined)?.pipeline === false) {
      // MULTI on the connection: every following command passes sendCommand.
      return (production.multi as AnyFn).call(state.prefix ? wrapper : clientFor(tagNow()), opts);
    }
    return pipelineOf((receiver) => (production.multi as AnyFn).call(receiver, opts ?? {}), Array.isArray(commands) ? commands : undefined);
  };
  overrides.duplicate = (override?: unknown) =>
    shadowRedis({
      production: production.duplicate.call(production, override as undefined),
      shadow: state.shadow?.duplicate.call(state.shadow, override as undefined),
      strategy: state.prefix ? 'prefix' : 'client',
      resolver,
    });
  overrides.monitor = (callback?: unknown) => {
    const tag = tagNow();
    if (resolver.isShadow(tag) && state.prefix) {
      const error = new ShadowIsolationError('redis command monitor', 'Shadow request refused: MONITOR reads production traffic');
      if (typeof callback === 'function') {
        process.nextTick(callback as AnyFn, error);
        return undefined;
      }
      return Promise.reject(error);
    }
    const client = state.prefix ? production : clientFor(tag);
    return (client.monitor as AnyFn).call(client, callback);
  };
  for (const method of SCAN_STREAMS) {
    // The stream issues SCAN calls later, from stream callbacks: pin the tag now.
    overrides[method] = (...args: unknown[]) =>
      ((production as unknown as Record<string, AnyFn>)[method]!).apply(wrap(state, { tag: tagNow() }), args);
  }

  // Client strategy: shadow messages arrive on the shadow client, not here.
  if (state.prefix) installPubsubTagging(wrapper, production, resolver);
  return wrapper;
}
