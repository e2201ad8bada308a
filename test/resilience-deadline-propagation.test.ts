// Outbound deadline propagation: every HTTP client of @dyeline/http writes the
// remaining time of currentDeadline() in x-dyeline-deadline-ms (floored), keeps
// a shorter value the caller set, and writes nothing without a deadline.
import { Deadline, createTag, runWithContext, runWithDeadline, RequestContext } from '@dyeline/core';
import { wrapHttpRequest } from '@dyeline/http';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcho } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';
import { httpOutboundClients } from './helpers/outbound-clients.js';
import type { ActiveClient } from './helpers/outbound-clients.js';

const HEADER = 'x-dyeline-deadline-ms';

for (const client of httpOutboundClients) {
  describe(`deadline header over ${client.name}`, () => {
    let active: ActiveClient;
    beforeAll(async () => {
      active = await client.setup();
    });
    afterAll(() => active.close());

    it('writes the remaining whole milliseconds, with or without a tag', async () => {
      const plain = await runWithDeadline(Deadline.after(500), () => active.call());
      const budget = Number(plain[HEADER]);
      expect(Number.isInteger(budget)).toBe(true);
      expect(budget).toBeGreaterThan(0);
      expect(budget).toBeLessThanOrEqual(500);
      const tagged = await runWithContext(new RequestContext(createTag({ color: 'blue' }), Deadline.after(800)), () => active.call());
      expect(tagged['x-color']).toBe('blue');
      expect(Number(tagged[HEADER])).toBeLessThanOrEqual(800);
      expect(Number(tagged[HEADER])).toBeGreaterThan(500);
    });

    it('writes nothing without a deadline', async () => {
      expect((await active.call())[HEADER]).toBeUndefined();
      const tagged = await runWithContext(new RequestContext(createTag({ color: 'blue' }), undefined), () => active.call());
      expect(tagged[HEADER]).toBeUndefined();
    });

    it('keeps a shorter deadline the caller set, replaces a longer or malformed one', async () => {
      const shorter = await runWithDeadline(Deadline.after(500), () => active.call({ [HEADER]: '20' }));
      expect(shorter[HEADER]).toBe('20');
      const longer = await runWithDeadline(Deadline.after(500), () => active.call({ [HEADER]: '90000' }));
      expect(Number(longer[HEADER])).toBeLessThanOrEqual(500);
      const malformed = await runWithDeadline(Deadline.after(500), () => active.call({ [HEADER]: 'soon' }));
      expect(Number(malformed[HEADER])).toBeLessThanOrEqual(500);
    });

    it('sends 0 once the deadline has passed, so the next hop starts no work', async () => {
      const seen = await runWithDeadline(Deadline.after(0), () => active.call());
      expect(seen[HEADER]).toBe('0');
    });
  });
}

describe('deadline header options', () => {
  let echo: RunningServer;
  beforeAll(async () => {
    echo = await startEcho();
  });
  afterAll(() => echo.close());

  const call = (request: typeof http.request): Promise<Record<string, string>> =>
    new Promise((resolve, reject) => {
      const req = request(echo.url, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
      });
      req.on('error', reject);
      req.end();
    });

  it('can be renamed or turned off', async () => {
    const renamed = await runWithDeadline(Deadline.after(300), () => call(wrapHttpRequest(http.request, { deadlineHeader: 'x-budget-ms' })));
    expect(Number(renamed['x-budget-ms'])).toBeLessThanOrEqual(300);
    expect(renamed[HEADER]).toBeUndefined();
    const off = await runWithDeadline(Deadline.after(300), () => call(wrapHttpRequest(http.request, { deadlineHeader: false })));
    expect(off[HEADER]).toBeUndefined();
  });

  it('overwrite replaces even a shorter value the caller set', async () => {
    const request = wrapHttpRequest(http.request, { overwrite: true });
    const seen = await runWithDeadline(Deadline.after(300), () =>
      new Promise<Record<string, string>>((resolve, reject) => {
        const req = request(echo.url, { headers: { [HEADER]: '5' } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve(JSON.parse(body) as Record<string, string>));
        });
        req.on('error', reject);
        req.end();
      }),
    );
    expect(Number(seen[HEADER])).toBeGreaterThan(5);
  });

  it('rejects a bad header name at construction', () => {
    expect(() => wrapHttpRequest(http.request, { deadlineHeader: 'X Budget' })).toThrow(/options\.deadlineHeader/);
  });
});
