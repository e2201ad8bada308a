import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { bindToCurrentContext, currentDeadline, currentTag, runWithTag } from '@dyeline/core';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { postSlowly } from '../../../test/helpers/slow-request.js';
import { dyeline } from './dyeline.js';
import { timeout } from './timeout.js';
import type { KoaDyelineOptions } from './dyeline.js';

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;
const TRUSTED = { trust: { trustedCidrs: ['127.0.0.1/32'] } };
const color = (): string | null => currentTag()?.color ?? null;

describe('dyeline (koa) options', () => {
  it.each([
    [{ echo: 'yes' }, 'options.echo'],
    [{ version: '' }, 'options.version'],
    [{ version: 'v2\r\nx: y' }, 'options.version'],
    [{ versionHeader: 'Service Version' }, 'options.versionHeader'],
    [{ rejectStatus: 200 }, 'options.rejectStatus'],
    [{ bindEmitters: 1 }, 'options.bindEmitters'],
    [{ stateKey: '' }, 'options.stateKey'],
    [{ onInvalid: 'explode' }, 'options.onInvalid'],
    [{ headers: { color: 'X Color' } }, 'options.headers.color'],
  ])('throws a TypeError naming the option at construction: %j', (options, name) => {
    expect(() => dyeline(options as unknown as KoaDyelineOptions)).toThrow(TypeError);
    expect(() => dyeline(options as unknown as KoaDyelineOptions)).toThrow(name);
  });
});

for (const [name, KoaClass] of [['koa3', Koa], ['koa2', Koa2]] as const) {
  describe(`dyeline on ${name}`, () => {
    const servers: RunningServer[] = [];
    const start = async (options: KoaDyelineOptions, handler: Koa.Middleware): Promise<RunningServer> => {
      const app = new KoaClass();
      app.use(dyeline(options));
      app.use(handler);
      const server = await listen(createServer(app.callback()));
      servers.push(server);
      return server;
    };
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    it('exposes the tag at ctx.state, echoes it and the serving version', async () => {
      const server = await start({ ...TRUSTED, echo: true, version: 'v2' }, (ctx) => {
        ctx.body = { state: ctx.state.dyeline, current: currentTag() === ctx.state.dyeline };
      });
      const response = await fetch(server.url, { headers: { 'x-color': 'blue', 'x-user': 'alice' } });
      expect(await response.json()).toEqual({ state: { color: 'blue', user: 'alice' }, current: true });
      expect(response.headers.get('service-version')).toBe('v2');
      expect(response.headers.get('x-color')).toBe('blue');
      expect(response.headers.get('x-user')).toBe('alice');
    });

    it('uses the configured state key and version header, and echoes nothing for an untagged request', async () => {
      const server = await start({ stateKey: 'traffic', version: 'v1', versionHeader: 'x-version', echo: true }, (ctx) => {
        ctx.body = { traffic: ctx.state.traffic ?? null, dyeline: ctx.state.dyeline ?? null };
      });
      const response = await fetch(server.url);
      expect(await response.json()).toEqual({ traffic: {}, dyeline: null });
      expect(response.headers.get('x-version')).toBe('v1');
      expect(response.headers.get('x-color')).toBeNull();
      expect(response.headers.get('baggage')).toBeNull();
    });

    it('answers a rejected request with the configured status and the error code, without running the rest', async () => {
      let ran = false;
      const server = await start({ ...TRUSTED, onInvalid: 'reject', rejectStatus: 422 }, (ctx) => {
        ran = true;
        ctx.body = 'handler';
      });
      const response = await fetch(server.url, { headers: { 'x-color': 'not allowed!' } });
      expect(response.status).toBe(422);
      expect(await response.json()).toEqual({ error: 'ERR_DYELINE_TAG_BAD_CHARSET' });
      expect(ran).toBe(false);
    });

    it('runs the request under the caller\'s deadline and releases it', async () => {
      const server = await start(TRUSTED, (ctx) => {
        const deadline = currentDeadline();
        ctx.body = { budget: deadline?.budgetMs ?? null, left: (deadline?.remaining() ?? 0) > 0 };
      });
      const response = await fetch(server.url, { headers: { 'x-dyeline-deadline-ms': '750' } });
      expect(await response.json()).toEqual({ budget: 750, left: true });
      const none = await fetch(server.url);
      expect(await none.json()).toEqual({ budget: null, left: false });
    });

    describe('the tag survives request/response emitters, timers and outside emitters', () => {
      const bus = new EventEmitter();
      let ticker: NodeJS.Timeout;
      beforeAll(() => {
        // Created outside any request: its emits run in the root context.
        ticker = setInterval(() => bus.emit('tick'), 3);
      });
      afterAll(() => clearInterval(ticker));

      const handler = (finished: Map<string, string | null>): Koa.Middleware => async (ctx) => {
        const seen: Record<string, string | null> = {};
        const expected = ctx.get('x-color');
        ctx.res.on('finish', () => finished.set(expected, color()));
        const body = await new Promise<string>((resolve) => {
          let text = '';
          ctx.req.on('data', (chunk: Buffer) => {
            seen.data = color();
            text += chunk.toString();
          });
          ctx.req.once('end', () => {
            seen.end = color();
            resolve(text);
          });
        });
        await new Promise<void>((resolve) => setTimeout(() => {
          seen.timer = color();
          resolve();
        }, 2));
        await new Promise<void>((resolve) => bus.once('tick', () => {
          seen.busUnbound = color();
          resolve();
        }));
        await new Promise<void>((resolve) => bus.once('tick', bindToCurrentContext(() => {
          seen.busBound = color();
          resolve();
        })));
        ctx.body = { seen, body };
      };

      it('with emitter binding (default), every callback sees the request tag', async () => {
        const finished = new Map<string, string | null>();
        const server = await start(TRUSTED, handler(finished));
        const responses = await Promise.all(['red', 'green', 'blue'].map((c) => postSlowly(server.url, ['a', 'b', 'c'], { 'x-color': c })));
        for (const [i, c] of ['red', 'green', 'blue'].entries()) {
          const { seen, body } = JSON.parse(responses[i]!.body) as { seen: Record<string, string | null>; body: string };
          expect(body).toBe('abc');
          expect(seen).toEqual({ data: c, end: c, timer: c, busUnbound: null, busBound: c });
        }
        await expect.poll(() => finished.size).toBe(3);
        expect(Object.fromEntries(finished)).toEqual({ red: 'red', green: 'green', blue: 'blue' });
      });

      it('without it (bindEmitters: false), data/end listeners lose the tag — the reason binding is on', async () => {
        const finished = new Map<string, string | null>();
        const server = await start({ ...TRUSTED, bindEmitters: false }, handler(finished));
        const { seen } = JSON.parse((await postSlowly(server.url, ['a', 'b'], { 'x-color': 'red' })).body) as { seen: Record<string, string | null> };
        expect(seen.data).toBeNull();
        expect(seen.end).toBeNull();
        expect(seen.timer).toBe('red');
      });
    });

    it('a nested scope (runWithTag, timeout() after dyeline()) keeps the binding, with its own tag', async () => {
      const app = new KoaClass();
      app.use(dyeline(TRUSTED));
      app.use(timeout({ ms: 5_000 }));
      app.use(async (ctx) => {
        const seen: Record<string, string | null> = {};
        await runWithTag(currentTag()!.with({ color: `${color()}-nested` }), () => new Promise<void>((resolve) => {
          ctx.req.on('data', () => void (seen.data = color()));
          ctx.req.once('end', () => {
            seen.end = color();
            seen.deadline = currentDeadline() === undefined ? 'none' : 'kept';
            resolve();
          });
        }));
        ctx.body = seen;
      });
      const server = await listen(createServer(app.callback()));
      servers.push(server);
      const { body } = await postSlowly(server.url, ['a', 'b'], { 'x-color': 'red' });
      expect(JSON.parse(body)).toEqual({ data: 'red-nested', end: 'red-nested', deadline: 'kept' });
    });

    it('keeps removeListener, once and listeners() working on bound emitters', async () => {
      const server = await start(TRUSTED, async (ctx) => {
        const calls: string[] = [];
        const onData = (): void => void calls.push('removed-on');
        const onceData = (): void => void calls.push('removed-once');
        const onceEnd = (): void => void calls.push(`once:${color()}`);
        ctx.req.on('data', onData);
        ctx.req.once('data', onceData);
        ctx.req.prependOnceListener('end', onceEnd);
        ctx.req.prependListener('data', () => void calls.push(`first:${color()}`));
        const listed = ctx.req.listeners('end').includes(onceEnd);
        ctx.req.removeListener('data', onData);
        ctx.req.off('data', onceData);
        await new Promise((resolve) => ctx.req.on('end', resolve));
        ctx.body = { calls, listed, left: ctx.req.listenerCount('end') };
      });
      const response = await postSlowly(server.url, ['x', 'y'], { 'x-color': 'teal' });
      const { calls, listed, left } = JSON.parse(response.body) as { calls: string[]; listed: boolean; left: number };
      expect(listed).toBe(true);
      expect(calls).toEqual(['first:teal', 'first:teal', 'once:teal']);
      expect(left).toBe(1);
    });
  });
}
