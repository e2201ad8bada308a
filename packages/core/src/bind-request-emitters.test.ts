import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from '../../../test/helpers/http-server.js';
import type { RunningServer } from '../../../test/helpers/http-server.js';
import { bindRequestEmitters } from './bind-request-emitters.js';
import { RequestContext, currentTag, runWithContext } from './context.js';
import { createTag } from './tag.js';

const BINDS = Symbol.for('dyeline.bindsListeners.v1');

/** What a node:http handler saw of one request, once its response has finished. */
interface Seen {
  finishColor: string | undefined;
  responseMarked: boolean;
  endListeners: { name: string; bound: boolean }[];
}

describe('bindRequestEmitters on node:http', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server whose handler runs in a binding context for `x-color` and never reads the body. */
  async function start(onSeen: (seen: Seen) => void): Promise<string> {
    server = await serve((req: IncomingMessage, res: ServerResponse) => {
      const context = new RequestContext(createTag({ color: String(req.headers['x-color']) }), undefined, undefined, true);
      runWithContext(context, () => {
        bindRequestEmitters(req, res);
        res.on('finish', () => {
          const finishColor = currentTag()?.color;
          // Node adds its own `end` listener to the unread request as the response finishes.
          setImmediate(() =>
            onSeen({
              finishColor,
              responseMarked: Object.getOwnPropertySymbols(res).includes(BINDS),
              endListeners: req.rawListeners('end').map((fn) => ({ name: fn.name, bound: 'listener' in fn })),
            }),
          );
        });
        res.end('ok');
      });
    });
    return server.url;
  }

  it('binds the response through its request, adding no property to the response', async () => {
    const seen: Seen[] = [];
    const url = await start((s) => seen.push(s));
    for (const color of ['red', 'blue']) await (await fetch(url, { headers: { 'x-color': color } })).text();
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.map((s) => s.finishColor)).toEqual(['red', 'blue']);
    expect(seen.map((s) => s.responseMarked)).toEqual([false, false]);
  });

  it("leaves Node's clearIncoming listener unbound, the first time (by name) and after (by identity)", async () => {
    const seen: Seen[] = [];
    const url = await start((s) => seen.push(s));
    for (let i = 0; i < 3; i++) await (await fetch(url, { headers: { 'x-color': 'red' } })).text();
    await expect.poll(() => seen.length).toBe(3);
    for (const { endListeners } of seen) {
      expect(endListeners).toContainEqual({ name: 'clearIncoming', bound: false });
      expect(endListeners.some((listener) => listener.bound)).toBe(false);
    }
  });
});
