import { createTag, runWithTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { installFetchPropagation } from './install-fetch-propagation.js';
import { dyelineInterceptor } from './undici.js';

const TAG = createTag({ color: 'blue', user: 'alice' });
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

describe('dyelineInterceptor', () => {
  let echo: RunningServer;
  let errors: DyelineError[];
  let agent: Dispatcher;
  beforeAll(async () => {
    echo = await startEcho();
    errors = [];
    agent = new Agent().compose(dyelineInterceptor({ onError: (error) => errors.push(error) }));
  });
  afterAll(async () => {
    await agent.close();
    await echo.close();
  });

  const seen = async (headers: unknown): Promise<Record<string, string>> => {
    const response = await request(echo.url, { dispatcher: agent, headers: headers as Dispatcher.RequestOptions['headers'] });
    return (await response.body.json()) as Record<string, string>;
  };

  function* pairs(): Generator<[string, string]> {
    yield ['X-Own', '1'];
    yield ['X-Color', 'mine'];
  }

  it.each([
    ['no headers', undefined, undefined],
    ['null', null, undefined],
    ['a record in any case', { 'X-Own': '1', 'X-COLOR': 'mine' }, 'mine'],
    ['a flat array', ['x-own', '1', 'X-Color', 'mine'], 'mine'],
    ['a Map', new Map([['x-own', '1']]), undefined],
    ['a generator of pairs', pairs(), 'mine'],
  ])('writes the tag into %s, keeping the caller\'s headers', async (_name, headers, callerColor) => {
    const got = await runWithTag(TAG, () => seen(headers));
    expect(got['x-color']).toBe(callerColor ?? 'blue');
    expect(got['x-user']).toBe('alice');
    if (headers !== undefined && headers !== null) expect(got['x-own']).toBe('1');
  });

  it('never mutates the caller\'s headers, and passes them through untouched outside any tag', async () => {
    const record = { 'x-own': '1' };
    const list = ['x-own', '1'];
    await runWithTag(TAG, () => seen(record));
    await runWithTag(TAG, () => seen(list));
    expect(record).toEqual({ 'x-own': '1' });
    expect(list).toEqual(['x-own', '1']);
    const got = await seen(record);
    expect(got['x-color']).toBeUndefined();
    expect(got.baggage).toBeUndefined();
  });

  it('reports an iterable it cannot read and lets the call go on', async () => {
    const before = errors.length;
    const bad = { *[Symbol.iterator]() { yield 'not-a-pair'; } };
    await expect(runWithTag(TAG, () => seen(bad))).rejects.toThrow();
    expect(errors.length - before).toBe(1);
    expect(errors.at(-1)!.code).toBe('ERR_DYELINE_PROPAGATION');
  });
});

describe('installFetchPropagation', () => {
  let echo: RunningServer;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.close());

  it('composes onto the global dispatcher and restores it on uninstall', async () => {
    void globalThis.Headers;
    const slot = globalThis as unknown as Record<symbol, unknown>;
    const before = slot[GLOBAL_DISPATCHER];
    const uninstall = installFetchPropagation({ overwrite: true });
    try {
      expect(slot[GLOBAL_DISPATCHER]).not.toBe(before);
      const got = (await runWithTag(TAG, async () => (await fetch(echo.url, { headers: { 'x-color': 'mine' } })).json())) as Record<string, string>;
      expect(got['x-color']).toBe('blue');
      expect(got.baggage).toBe('color=blue,user=alice');
    } finally {
      uninstall();
    }
    expect(slot[GLOBAL_DISPATCHER]).toBe(before);
    const got = (await runWithTag(TAG, async () => (await fetch(echo.url)).json())) as Record<string, string>;
    expect(got['x-color']).toBeUndefined();
  });
});
