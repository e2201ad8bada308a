import { createTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import { describe, expect, it, vi } from 'vitest';
import { createOutboundGuard } from './outbound-guard.js';
import type { OutboundCall } from './outbound-guard.js';

const SHADOW = createTag({ shadow: true });

describe('createOutboundGuard', () => {
  const guard = createOutboundGuard({ allow: ['payments.internal', '*.sandbox.example', '127.0.0.1:8080', '[::1]:9000', 'Mixed.Case'] });
  const shadowAllowed = (url: string) => runWithTag(SHADOW, () => guard.isAllowed(url));

  it.each([
    ['http://payments.internal/x', true],
    ['https://payments.internal:8443/x', true],
    ['http://payments.internal./x', true],
    ['http://evil-payments.internal/x', false],
    ['http://api.sandbox.example/x', true],
    ['http://a.b.sandbox.example/x', true],
    ['http://sandbox.example/x', false],
    ['http://sandbox.example.evil.com/x', false],
    ['http://127.0.0.1:8080/x', true],
    ['http://127.0.0.1:8081/x', false],
    ['http://127.0.0.1/x', false],
    ['http://[::1]:9000/', true],
    ['http://[::1]:9001/', false],
    ['http://mixed.case/', true],
    ['not a url', false],
  ])('%s allowed: %s', (url, expected) => {
    expect(shadowAllowed(url)).toBe(expected);
  });

  it('matches default ports', () => {
    const g = createOutboundGuard({ allow: ['api.local:443'] });
    expect(g.isAllowed('https://api.local/')).toBe(true);
    expect(g.isAllowed('http://api.local/')).toBe(false);
  });

  it('passes production untouched and refuses shadow to unlisted hosts', () => {
    expect(guard.check('http://pay.real.com/charge')).toBeUndefined();
    expect(guard.check('http://payments.internal/charge')).toBeUndefined();
    let caught: unknown;
    try {
      runWithTag(SHADOW, () => guard.check('http://pay.real.com/charge'));
    } catch (error) {
      caught = error;
    }
    expect(isShadowIsolationError(caught)).toBe(true);
    expect((caught as Error).message).toContain('pay.real.com');
    expect(runWithTag(SHADOW, () => guard.check('http://payments.internal/charge'))).toBeUndefined();
  });

  it('answers with the mock when it gives one, refuses when it gives none or throws', () => {
    const mock = vi.fn((url: URL, _call: OutboundCall) => (url.pathname === '/charge' ? Response.json({ ok: true }) : undefined));
    const g = createOutboundGuard({ allow: [], mock });
    const answer = runWithTag(SHADOW, () => g.check('http://pay.real.com/charge', { method: 'POST' }));
    expect(answer).toBeInstanceOf(Response);
    expect(mock.mock.calls[0]?.[1]).toEqual({ method: 'POST' });
    expect(() => runWithTag(SHADOW, () => g.check('http://pay.real.com/other'))).toThrow(/allow list/);
    const throwing = createOutboundGuard({
      allow: [],
      mock: () => {
        throw new Error('broken mock');
      },
    });
    expect(() => runWithTag(SHADOW, () => throwing.check('http://x.com/'))).toThrow(/mock threw/);
  });

  it.each([
    [{ allow: 'x' }, 'allow'],
    [{ allow: [''] }, 'allow[0]'],
    [{ allow: ['ok', 'http://x.com'] }, 'allow[1]'],
    [{ allow: ['*.x.com:80'] }, 'allow[0]'],
    [{ allow: ['a.*.com'] }, 'allow[0]'],
    [{ allow: [], mock: 'x' }, 'mock'],
    [{ allow: [], resolver: {} }, 'resolver'],
  ])('rejects %o naming %s', (options, name) => {
    expect(() => createOutboundGuard(options as never)).toThrow(TypeError);
    expect(() => createOutboundGuard(options as never)).toThrow(name);
  });
});
