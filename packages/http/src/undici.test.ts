import { createTag, runWithTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { installFetchPropagation } from './install-fetch-propagation.js';
import { dyelineInterceptor, withPropagation } from './undici.js';

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

/** A dispatcher that records what reaches it and answers nothing. */
function recordingDispatcher() {
  const seen: { options: Dispatcher.DispatchOptions; handler: unknown }[] = [];
  return {
    seen,
    closed: false,
    dispatch(options: Dispatcher.DispatchOptions, handler: unknown): boolean {
      seen.push({ options, handler });
      return true;
    },
    async close(): Promise<void> {
      this.closed = true;
    },
  };
}

describe('withPropagation', () => {
  let echo: RunningServer;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.close());

  it('tags every request of an Agent and leaves calls outside any tag alone', async () => {
    const agent = withPropagation(new Agent());
    try {
      const tagged = await runWithTag(TAG, () => request(echo.url, { dispatcher: agent }));
      expect(await tagged.body.json()).toMatchObject({ 'x-color': 'blue', 'x-user': 'alice', baggage: 'color=blue,user=alice' });
      const plain = (await (await request(echo.url, { dispatcher: agent })).body.json()) as Record<string, string>;
      expect(plain['x-color']).toBeUndefined();
    } finally {
      await agent.close();
    }
    expect(agent.closed).toBe(true);
  });

  it('hands the caller\'s handler on as it came (compose on undici 7 wraps it twice)', () => {
    const inner = recordingDispatcher();
    const handler = { onConnect() {}, onHeaders() {}, onData() {}, onComplete() {}, onError() {} };
    const wrapped = withPropagation(inner as unknown as Dispatcher);
    runWithTag(TAG, () => wrapped.dispatch({ origin: echo.url, path: '/', method: 'GET' }, handler as unknown as Dispatcher.DispatchHandler));
    expect(inner.seen).toHaveLength(1);
    expect(inner.seen[0]!.handler).toBe(handler);
    expect(inner.seen[0]!.options.headers).toEqual(['x-color', 'blue', 'x-user', 'alice', 'baggage', 'color=blue,user=alice']);
  });

  it.each([[undefined], [null], [{}], [{ dispatch: 'no' }]])('throws a TypeError for a dispatcher without dispatch: %j', (bad) => {
    expect(() => withPropagation(bad as unknown as Dispatcher)).toThrow(TypeError);
    expect(() => withPropagation(bad as unknown as Dispatcher)).toThrow('withPropagation: dispatcher');
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

  it('fronts whatever global dispatcher is set, handing handlers on untouched, and refuses when there is none', () => {
    void globalThis.Headers;
    const slot = globalThis as unknown as Record<symbol, unknown>;
    const before = slot[GLOBAL_DISPATCHER];
    const inner = recordingDispatcher();
    slot[GLOBAL_DISPATCHER] = inner;
    try {
      const uninstall = installFetchPropagation();
      const installed = slot[GLOBAL_DISPATCHER] as Dispatcher;
      const handler = { onError() {} };
      runWithTag(TAG, () => installed.dispatch({ origin: echo.url, path: '/', method: 'GET', headers: { 'x-own': '1' } }, handler as Dispatcher.DispatchHandler));
      expect(inner.seen[0]!.handler).toBe(handler);
      expect(inner.seen[0]!.options.headers).toEqual(['x-own', '1', 'x-color', 'blue', 'x-user', 'alice', 'baggage', 'color=blue,user=alice']);
      expect((installed as unknown as { closed: boolean }).closed).toBe(false);
      uninstall();
      expect(slot[GLOBAL_DISPATCHER]).toBe(inner);
      slot[GLOBAL_DISPATCHER] = { compose() {} };
      expect(() => installFetchPropagation()).toThrow(TypeError);
      expect(() => installFetchPropagation()).toThrow('no global undici dispatcher');
    } finally {
      slot[GLOBAL_DISPATCHER] = before;
    }
  });
});
