import { execFile } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTag, runWithTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { installHttpPropagation } from './install-http-propagation.js';
import { isPropagationError } from './propagation-error.js';
import { wrapHttpRequest } from './wrap-http-request.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/helpers/fixtures/${name}`, import.meta.url));

// Fresh processes: an app's own module graph, not vitest's.
describe('installHttpPropagation in a real app process', () => {
  it('an ES module app with `import { get, request } from "node:http"` taken before the install', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture('http-consumer.mjs')], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ get: 'esm', request: 'esm', fetch: 'esm', outside: null, afterUninstall: [null, null] });
  });

  it('a CommonJS app that destructures require("node:http") after the install', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture('http-consumer.cjs')], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ get: 'cjs', request: 'cjs', outside: null, afterUninstall: null });
  });
});

describe('node:http propagation in process', () => {
  let echo: RunningServer;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.close());

  const send = (req: http.ClientRequest): Promise<Record<string, string>> =>
    new Promise((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
      });
      req.on('error', reject);
      req.end();
    });

  it('reports, and does not throw, when headers were sent at construction (array headers)', async () => {
    const errors: DyelineError[] = [];
    const request = wrapHttpRequest(http.request, { onError: (error) => errors.push(error) });
    const seen = await runWithTag(createTag({ color: 'red' }), () =>
      send(request(echo.url, { headers: ['host', `127.0.0.1:${echo.port}`, 'x-own', '1'] as unknown as http.OutgoingHttpHeaders })),
    );
    expect(seen['x-own']).toBe('1');
    expect(seen['x-color']).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(isPropagationError(errors[0])).toBe(true);
    expect(errors[0]!.code).toBe('ERR_DYELINE_PROPAGATION');
  });

  it('overwrite: true writes the tag over the caller\'s header', async () => {
    const request = wrapHttpRequest(http.request, { overwrite: true });
    const seen = await runWithTag(createTag({ color: 'red' }), () => send(request(echo.url, { headers: { 'x-color': 'mine' } })));
    expect(seen['x-color']).toBe('red');
  });

  it('uses the configured header names and drops a value the codec refuses, through onError', async () => {
    const errors: DyelineError[] = [];
    const request = wrapHttpRequest(http.request, { headers: { color: 'x-md-global-color' }, baggage: false, onError: (e) => errors.push(e) });
    const seen = await runWithTag(createTag({ color: 'lane-1', user: 'bad\u0001user' }), () => send(request(echo.url)));
    expect(seen['x-md-global-color']).toBe('lane-1');
    expect(seen['x-color']).toBeUndefined();
    expect(seen['x-user']).toBeUndefined();
    expect(seen.baggage).toBeUndefined();
    expect(errors.map((e) => e.code)).toContain('ERR_DYELINE_TAG_BAD_CHARSET');
  });

  it('the global install patches http.get and restores the originals on uninstall', async () => {
    const original = http.get;
    const uninstall = installHttpPropagation();
    try {
      expect(http.get).not.toBe(original);
      const seen = await runWithTag(createTag({ color: 'g' }), () =>
        new Promise<Record<string, string>>((resolve) => {
          http.get(echo.url, (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
          });
        }),
      );
      expect(seen['x-color']).toBe('g');
    } finally {
      uninstall();
    }
    expect(http.get).toBe(original);
  });

  it('rejects bad options at construction', () => {
    expect(() => wrapHttpRequest(http.request, { overwrite: 'yes' as unknown as boolean })).toThrow('options.overwrite');
    expect(() => wrapHttpRequest(undefined as unknown as typeof http.request)).toThrow(TypeError);
    expect(() => installHttpPropagation({ onError: 5 as unknown as () => void })).toThrow('options.onError');
  });
});
