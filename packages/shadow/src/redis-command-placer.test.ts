import { describe, expect, it } from 'vitest';
import { createTag, isShadowIsolationError } from '@dyeline/core';
import { placeRedisCommand } from './redis-command-placer.js';
import type { RedisArg } from './redis-command-placer.js';
import { createShadowResolver } from './shadow-resolver.js';

const resolver = createShadowResolver();
const SHADOW = createTag({ shadow: true });
const place = (name: string, args: RedisArg[], tag = SHADOW) => {
  placeRedisCommand(resolver, name, args, tag);
  return args;
};
const refused = (name: string, args: RedisArg[]) => {
  try {
    place(name, args);
    return false;
  } catch (error) {
    return isShadowIsolationError(error);
  }
};

describe('placeRedisCommand', () => {
  it('prefixes the keys ioredis’ table locates, leaving values alone', () => {
    expect(place('set', ['k', 'v'])).toEqual(['shadow_k', 'v']);
    expect(place('mset', ['a', '1', 'b', '2'])).toEqual(['shadow_a', '1', 'shadow_b', '2']);
    expect(place('SET', ['k', 'v'])).toEqual(['shadow_k', 'v']);
    expect(place('eval', ['return 1', '2', 'a', 'b', 'arg'])).toEqual(['return 1', '2', 'shadow_a', 'shadow_b', 'arg']);
    expect(place('xread', ['COUNT', '2', 'STREAMS', 'a', 'b', '0', '0'])).toEqual(['COUNT', '2', 'STREAMS', 'shadow_a', 'shadow_b', '0', '0']);
    expect(place('sort', ['k', 'BY', 'w_*', 'GET', '#', 'GET', 'h_*->f', 'STORE', 'd'])).toEqual(
      ['shadow_k', 'BY', 'shadow_w_*', 'GET', '#', 'GET', 'shadow_h_*->f', 'STORE', 'shadow_d'],
    );
    expect(place('set', ['shadow_k', 'v'])).toEqual(['shadow_k', 'v']);
    // Container commands: the table knows their subcommands' keys.
    expect(place('object', ['ENCODING', 'k'])).toEqual(['ENCODING', 'shadow_k']);
    expect(place('xgroup', ['CREATE', 's', 'g', '$'])).toEqual(['CREATE', 'shadow_s', 'g', '$']);
  });

  it('Buffer and number keys', () => {
    const [key] = place('get', [Buffer.from([0xff, 0x01])]);
    expect(Buffer.isBuffer(key) && key.equals(Buffer.concat([Buffer.from('shadow_'), Buffer.from([0xff, 0x01])]))).toBe(true);
    expect(place('get', [42])).toEqual(['shadow_42']);
  });

  it('patterns and channels', () => {
    expect(place('keys', ['user:*'])).toEqual(['shadow_user:*']);
    expect(place('scan', ['0', 'match', 'u*', 'COUNT', '10'])).toEqual(['0', 'match', 'shadow_u*', 'COUNT', '10']);
    expect(place('scan', ['0'])).toEqual(['0', 'MATCH', 'shadow_*']);
    expect(place('scan', ['0'], createTag())).toEqual(['0']);
    expect(place('sscan', ['s', '0', 'MATCH', 'm*'])).toEqual(['shadow_s', '0', 'MATCH', 'm*']);
    expect(place('publish', ['news', 'hello'])).toEqual(['shadow_news', 'hello']);
    expect(place('subscribe', ['a', 'b'])).toEqual(['shadow_a', 'shadow_b']);
    expect(place('psubscribe', ['ne*'])).toEqual(['shadow_ne*']);
  });

  it('refuses, under shadow, what it cannot place', () => {
    for (const [name, args] of [
      ['flushall', []], ['flushdb', []], ['dbsize', []], ['randomkey', []], ['select', ['1']], ['swapdb', ['0', '1']],
      ['client', ['LIST']], ['config', ['SET', 'x', 'y']], ['eval', ['return 1', '0']], ['pubsub', ['CHANNELS']],
      ['json.set', ['k', '$', '{}']], ['script', ['FLUSH']],
    ] as Array<[string, RedisArg[]]>) {
      expect(refused(name, args), name).toBe(true);
    }
    for (const [name, args] of [['ping', []], ['multi', []], ['exec', []], ['script', ['load', 'return 1']]] as Array<[string, RedisArg[]]>) {
      expect(refused(name, args), name).toBe(false);
    }
  });

  it('production: passes everything, but guards shadow keys and channels', () => {
    const prod = createTag();
    expect(place('flushall', [], prod)).toEqual([]);
    expect(place('json.set', ['k'], prod)).toEqual(['k']);
    expect(() => place('get', ['shadow_k'], prod)).toThrow(/shadow/);
    expect(() => place('publish', ['shadow_news', 'x'], prod)).toThrow(/shadow/);
    expect(() => place('get', [Buffer.from('shadow_k')], prod)).toThrow(/shadow/);
  });

  it('honours a suffix', () => {
    const suffixed = createShadowResolver({ prefix: '', suffix: ':shadow' });
    const args: RedisArg[] = ['user:*'];
    placeRedisCommand(suffixed, 'keys', args, SHADOW);
    expect(args).toEqual(['user:*:shadow']);
  });
});
