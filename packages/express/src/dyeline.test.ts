import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { bindToCurrentContext, currentDeadline, currentTag } from '@dyeline/core';
import express from 'express';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { postSlowly } from '../../../test/helpers/slow-request.js';
import { dyeline } from './dyeline.js';
import type { ExpressDyelineOptions } from './dyeline.js';

const express4 = createRequire(import.meta.url)('express4') as typeof express;
const TRUSTED = { trust: { trustedCidrs: ['127.0.0.1/32'] } };
const color = (): string | null => currentTag()?.color ?? null;

describe('dyeline (express) options', () => {
  it.each([
    [{ echo: 1 }, 'options.echo'],
    [{ version: 'v 2 ' }, 'options.version'],
    [{ versionHeader: '' }, 'options.versionHeader'],
    [{ rejectStatus: 600 }, 'options.rejectStatus'],
    [{ localsKey: 7 }, 'options.localsKey'],
    [{ onUntrusted: 'maybe' }, 'options.onUntrusted'],
    [{ trust: { trustedCidrs: ['not-a-cidr'] } }, 'options.trustedCidrs'],
  ])('throws a TypeError naming the option at construction: %j', (options, name) => {
    expect(() => dyeline(options as unknown as ExpressDyelineOptions)).toThrow(TypeError);
    expect(() => dyeline(options as unknown as ExpressDyelineOptions)).toThrow(name);
  });
});

for (const [name, factory] of [['express5', express], ['express4', express4]] as const) {
  describe(`dyeline on ${name}`, () => {
    const servers: RunningServer[] = [];
    const start = async (options: ExpressDyelineOptions, build: (app: Express) => void): Promise<RunningServer> => {
      const app = factory();
      app.use(dyeline(options));
      build(app);
      const server = await listen(createServer(app));
      servers.push(server);
      return server;
    };
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    it('exposes the tag at res.locals, echoes it and the serving version', async () => {
      const server = await start({ ...TRUSTED, echo: true, version: 'v1' }, (app) => {
        app.get('/', (_req, res) => void res.json({ locals: res.locals.dyeline, current: currentTag() === res.locals.dyeline }));
      });
      const response = await fetch(server.url, { headers: { 'x-color': 'blue', baggage: 'user=alice,other=1' } });
      expect(await response.json()).toEqual({ locals: { color: 'blue', user: 'alice' }, current: true });
      expect(response.headers.get('service-version')).toBe('v1');
      expect(response.headers.get('x-color')).toBe('blue');
    });

    it('answers a rejected request 400 with the error code', async () => {
      const server = await start({ trust: { signing: { keys: { k1: 'k1-secret-0123456789abcdef' } } }, onUntrusted: 'reject', localsKey: 'tag' }, (app) => {
        app.get('/', (_req, res) => void res.send('handler'));
      });
      const response = await fetch(server.url, { headers: { 'x-shadow': '1' } });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: 'ERR_DYELINE_UNTRUSTED_TAG' });
    });

    it('runs the request under the caller\'s deadline', async () => {
      const server = await start({}, (app) => {
        app.get('/', (_req, res) => void res.json({ budget: currentDeadline()?.budgetMs ?? null }));
      });
      const response = await fetch(server.url, { headers: { 'x-dyeline-deadline-ms': '900' } });
      expect(await response.json()).toEqual({ budget: 900 });
    });

    describe('the tag survives body parsers, emitters, timers and outside emitters', () => {
      const bus = new EventEmitter();
      let ticker: NodeJS.Timeout;
      beforeAll(() => {
        ticker = setInterval(() => bus.emit('tick'), 3);
      });
      afterAll(() => clearInterval(ticker));

      const routes = (finished: Map<string, string | null>) => (app: Express): void => {
        const record = (req: express.Request, res: express.Response, next: express.NextFunction): void => {
          const expected = String(req.headers['x-color']);
          res.on('finish', () => finished.set(expected, color()));
          next();
        };
        app.post('/json', record, factory.json(), (req, res) => void res.json({ afterParser: color(), body: req.body as unknown }));
        app.post('/form', record, factory.urlencoded({ extended: false }), (req, res) => void res.json({ afterParser: color(), body: req.body as unknown }));
        app.post('/raw', record, async (req, res) => {
          const seen: Record<string, string | null> = {};
          await new Promise<void>((resolve) => {
            req.on('data', () => (seen.data = color()));
            req.on('end', () => {
              seen.end = color();
              resolve();
            });
          });
          await new Promise<void>((resolve) => setTimeout(() => resolve(void (seen.timer = color())), 2));
          await new Promise<void>((resolve) => bus.once('tick', bindToCurrentContext(() => resolve(void (seen.bus = color())))));
          res.json(seen);
        });
      };

      it('with emitter binding (default), after express.json()/urlencoded() and in every callback', async () => {
        const finished = new Map<string, string | null>();
        const server = await start(TRUSTED, routes(finished));
        const [json, form, raw] = await Promise.all([
          postSlowly(`${server.url}/json`, ['{"a":', '1}'], { 'x-color': 'red', 'content-type': 'application/json' }),
          postSlowly(`${server.url}/form`, ['a=1&', 'b=2'], { 'x-color': 'green', 'content-type': 'application/x-www-form-urlencoded' }),
          postSlowly(`${server.url}/raw`, ['x', 'y'], { 'x-color': 'blue' }),
        ]);
        expect(JSON.parse(json!.body)).toEqual({ afterParser: 'red', body: { a: 1 } });
        expect(JSON.parse(form!.body)).toEqual({ afterParser: 'green', body: { a: '1', b: '2' } });
        expect(JSON.parse(raw!.body)).toEqual({ data: 'blue', end: 'blue', timer: 'blue', bus: 'blue' });
        await expect.poll(() => finished.size).toBe(3);
        expect(Object.fromEntries(finished)).toEqual({ red: 'red', green: 'green', blue: 'blue' });
      });

      it('without it (bindEmitters: false), req data/end listeners lose the tag (body-parser binds its own callback)', async () => {
        const finished = new Map<string, string | null>();
        const server = await start({ ...TRUSTED, bindEmitters: false }, routes(finished));
        const raw = await postSlowly(`${server.url}/raw`, ['x', 'y'], { 'x-color': 'blue' });
        expect(JSON.parse(raw.body)).toEqual({ data: null, end: null, timer: 'blue', bus: 'blue' });
      });
    });
  });
}
