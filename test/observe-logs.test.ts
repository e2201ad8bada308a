// Real pino and winston loggers, real HTTP requests through a dyeline
// ingress: every line of a request carries its tag, and shadow traffic's
// lines land in their own destination.
import http from 'node:http';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import winston from 'winston';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngress, incomingHeadersGetter, runWithTag } from '@dyeline/core';
import { dyelineMixin, shadowSplitStream } from '@dyeline/observe/pino';
import { dyelineFormat, productionOnly, shadowOnly } from '@dyeline/observe/winston';

function collector(): { stream: Writable; lines: () => Record<string, any>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>) };
}

const pinoProd = collector();
const pinoShadow = collector();
const winstonProd = collector();
const winstonShadow = collector();
const pinoLogger = pino(
  { base: undefined, mixin: dyelineMixin() },
  shadowSplitStream({ production: pinoProd.stream, shadow: pinoShadow.stream }),
);
const winstonLogger = winston.createLogger({
  format: winston.format.combine(dyelineFormat({ includeUser: true }), winston.format.json()),
  transports: [
    new winston.transports.Stream({ stream: winstonProd.stream, format: productionOnly() }),
    new winston.transports.Stream({ stream: winstonShadow.stream, format: shadowOnly() }),
  ],
});

let server: Server;
let url = '';

beforeAll(async () => {
  const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.1/32'] } });
  server = http.createServer((req, res) => {
    const { tag } = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
    runWithTag(tag, async () => {
      const id = req.headers['x-request-id'];
      pinoLogger.info({ id }, 'start');
      winstonLogger.info('start', { id });
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      pinoLogger.child({ step: 2 }).warn({ id }, 'after a timer');
      await Promise.resolve();
      winstonLogger.warn('after a timer', { id });
      res.end('ok');
    }).catch(() => res.end('error'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
});

afterAll(() => new Promise((r) => server.close(r)));

function send(headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
}

const N = 40;
const isShadow = (i: number) => i % 4 === 0;

describe('logs carry the tag', () => {
  beforeAll(async () => {
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        send({ 'x-request-id': String(i), 'x-color': `lane-${i}`, 'x-user': `u${i}`, ...(isShadow(i) ? { 'x-shadow': '1' } : {}) }),
      ),
    );
    await send({ 'x-request-id': 'plain' });
    pinoLogger.info('outside any request');
    winstonLogger.info('outside any request');
    await new Promise((r) => setImmediate(r));
  });

  it('pino: every line of a request has its own tag, shadow lines only in the shadow destination', () => {
    const prod = pinoProd.lines();
    const shadow = pinoShadow.lines();
    expect(prod.length + shadow.length).toBe(2 * N + 3);
    for (const line of [...prod, ...shadow].filter((l) => l.id !== undefined && l.id !== 'plain')) {
      const i = Number(line.id);
      expect(line.dyeline).toEqual(isShadow(i) ? { color: `lane-${i}`, shadow: true } : { color: `lane-${i}` });
    }
    expect(shadow.every((l) => l.dyeline?.shadow === true)).toBe(true);
    expect(shadow).toHaveLength((2 * N) / 4);
    expect(prod.filter((l) => l.id === 'plain' || l.id === undefined).every((l) => l.dyeline === undefined)).toBe(true);
  });

  it('winston: every entry has its tag (user opted in), shadow entries only in the shadow transport', async () => {
    for (let i = 0; i < 50 && winstonProd.lines().length + winstonShadow.lines().length < 2 * N + 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const prod = winstonProd.lines();
    const shadow = winstonShadow.lines();
    expect(prod.length + shadow.length).toBe(2 * N + 3);
    for (const line of [...prod, ...shadow].filter((l) => l.id !== undefined && l.id !== 'plain')) {
      const i = Number(line.id);
      const expected: Record<string, unknown> = { color: `lane-${i}`, user: `u${i}` };
      if (isShadow(i)) expected.shadow = true;
      expect(line.dyeline).toEqual(expected);
    }
    expect(shadow).toHaveLength((2 * N) / 4);
    expect(shadow.every((l) => Number(l.id) % 4 === 0)).toBe(true);
    expect(prod.find((l) => l.message === 'outside any request')?.dyeline).toBeUndefined();
  });
});
