// Two copies of @dyeline/core in one process — the ESM build loaded with
// import() and the CJS build loaded with require(), as happens when an app
// mixes module formats — must share one AsyncLocalStorage and recognise each
// other's errors. The TypeScript sources (what the other tests use) are a
// third copy and must agree too.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as source from '@dyeline/core';

type Core = typeof source;

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'packages', 'core', 'dist');
let esm: Core;
let cjs: Core;

// Under `npx pnpm@10 test` pnpm need not be on PATH; npm_execpath names it.
const execpath = process.env.npm_execpath;
const pnpm = execpath !== undefined && /pnpm[^/]*\.c?js$/.test(execpath) ? [process.execPath, execpath] : ['pnpm'];

beforeAll(async () => {
  execFileSync(pnpm[0]!, [...pnpm.slice(1), '--filter', '@dyeline/core', 'build'], { cwd: root, stdio: 'pipe' });
  esm = (await import(pathToFileURL(join(dist, 'index.js')).href)) as Core;
  cjs = createRequire(import.meta.url)(join(dist, 'index.cjs')) as Core;
}, 120_000);

describe('ESM and CJS copies of @dyeline/core in one process', () => {
  it('are really two copies', () => {
    expect(esm.Tag).not.toBe(cjs.Tag);
    expect(esm.createTag).not.toBe(cjs.createTag);
    expect(esm.InvalidTagError).not.toBe(source.InvalidTagError);
  });

  it('share one context store', () => {
    expect(esm.contextStorage()).toBe(cjs.contextStorage());
    expect(source.contextStorage()).toBe(esm.contextStorage());
  });

  it('a tag set with runWithTag of one copy is seen by currentTag of the other', async () => {
    const tag = esm.createTag({ color: 'from-esm', user: 'alice' });
    await esm.runWithTag(tag, async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(cjs.currentTag()).toBe(tag);
      expect(source.currentTag()?.color).toBe('from-esm');
    });
    const other = cjs.createTag({ color: 'from-cjs' });
    cjs.runWithTag(other, () => expect(esm.currentTag()).toBe(other));
    expect(esm.currentTag()).toBeUndefined();
  });

  // Before any other test here makes a scope with a deadline: until one exists, ingress skips the lookup.
  it("an ingress of one copy inherits the deadline of the other copy's scope around it", () => {
    const settings = esm.resolveServerOptions('test', { bindEmitters: false });
    const result = settings.ingress.read({ 'x-color': 'blue' }, esm.incomingHeadersGetter, '10.0.0.1');
    const req = new EventEmitter() as IncomingMessage;
    const res = new EventEmitter() as ServerResponse;
    const plain = esm.serverRequestContext(settings, result, req, res);
    expect(plain.deadline).toBeUndefined();
    const deadline = cjs.Deadline.after(1000);
    cjs.runWithDeadline(deadline, () => {
      expect(esm.serverRequestContext(settings, result, req, res).deadline).toBe(deadline);
    });
  });

  it('a deadline set by one copy is kept when the other nests a tag', () => {
    const deadline = cjs.Deadline.after(1000);
    cjs.runWithDeadline(deadline, () => {
      esm.runWithTag(esm.createTag({ color: 'x' }), () => expect(cjs.currentDeadline()).toBe(deadline));
    });
  });

  it('both copies binding the same emitter class: a listener is bound once, runs in its context and can be removed', () => {
    // Each copy patches the class prototype, one layer on top of the other.
    class Body extends EventEmitter {}
    esm.bindRequestEmitters(new Body(), new Body());
    cjs.bindRequestEmitters(new Body(), new Body());
    const body = new Body();
    cjs.bindRequestEmitters(body, new Body());
    const seen: (string | undefined)[] = [];
    const listener = (): void => void seen.push(esm.currentTag()?.color);
    const context = new cjs.RequestContext(cjs.createTag({ color: 'bound' }), undefined, undefined, true);
    esm.runWithContext(context, () => {
      body.on('data', listener);
      body.once('end', listener);
    });
    body.emit('data');
    body.emit('end');
    body.emit('end');
    expect(seen).toEqual(['bound', 'bound']);
    // One wrapper, so removeListener finds the listener by its `.listener`.
    expect(body.listeners('data')).toEqual([listener]);
    body.removeListener('data', listener);
    expect(body.listenerCount('data')).toBe(0);
    // Outside a context that binds, listeners are left as they are.
    esm.runWithContext(new esm.RequestContext(esm.createTag({ color: 'plain' }), undefined), () => body.on('data', listener));
    expect(body.rawListeners('data')).toEqual([listener]);
    // Nor are those of an emitter no ingress handed over, whatever the context.
    const other = new Body();
    esm.runWithContext(context, () => other.on('data', listener));
    expect(other.rawListeners('data')).toEqual([listener]);
  });

  it('error guards recognise errors from the other copy', () => {
    const fromCjs = new cjs.InvalidTagError('too-long', 'x-color', 'too long');
    const fromEsm = new esm.UntrustedTagError(['shadow'], 'no');
    expect(fromCjs instanceof esm.InvalidTagError).toBe(false);
    expect(esm.isInvalidTagError(fromCjs)).toBe(true);
    expect(source.isInvalidTagError(fromCjs)).toBe(true);
    expect(cjs.isUntrustedTagError(fromEsm)).toBe(true);
    expect(cjs.isDyelineError(fromEsm)).toBe(true);
    expect(cjs.isInvalidTagError(fromEsm)).toBe(false);
    expect(esm.isDeadlineExceededError(new cjs.DeadlineExceededError(5))).toBe(true);
    expect(cjs.isShadowIsolationError(new esm.ShadowIsolationError('db', 'no'))).toBe(true);
  });
});
