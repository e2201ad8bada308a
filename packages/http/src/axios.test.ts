import { createTag, runWithTag } from '@dyeline/core';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { axiosPropagation } from './axios.js';

describe('axiosPropagation', () => {
  let echo: RunningServer;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.close());

  it('writes the tag, lets the caller win unless overwrite, and ejects', async () => {
    const instance = axios.create();
    const eject = axiosPropagation(instance);
    const tag = createTag({ color: 'blue', shadow: true });
    const get = async (headers: Record<string, string> = {}): Promise<Record<string, string>> =>
      (await instance.get<Record<string, string>>(echo.url, { headers })).data;
    const tagged = await runWithTag(tag, () => get({ 'X-Color': 'mine' }));
    expect(tagged['x-color']).toBe('mine');
    expect(tagged['x-shadow']).toBe('1');
    eject();
    expect((await runWithTag(tag, () => get()))['x-color']).toBeUndefined();

    const overwriting = axios.create();
    axiosPropagation(overwriting, { overwrite: true });
    const over = (await runWithTag(tag, () => overwriting.get<Record<string, string>>(echo.url, { headers: { 'x-color': 'mine' } }))).data;
    expect(over['x-color']).toBe('blue');
  });

  it('refuses something that is not an axios instance', () => {
    expect(() => axiosPropagation({} as never)).toThrow(TypeError);
  });
});
