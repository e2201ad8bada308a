import { ShadowIsolationError, createTag, isShadowIsolationError, runWithTag } from '@dyeline/core';
import { describe, expect, it, vi } from 'vitest';
import { createShadowResolver } from './shadow-resolver.js';

const SHADOW = createTag({ shadow: true });
const PROD = createTag({ color: 'v2' });

describe('createShadowResolver options', () => {
  it('defaults to prefix shadow_ and no suffix', () => {
    const r = createShadowResolver();
    expect(r.prefix).toBe('shadow_');
    expect(r.suffix).toBe('');
    expect(r.shadowName('orders')).toBe('shadow_orders');
  });

  it.each([
    [{ prefix: 3 }, 'prefix'],
    [{ suffix: {} }, 'suffix'],
    [{ prefix: '', suffix: '' }, 'prefix'],
    [{ prefix: 'bad prefix' }, 'prefix'],
    [{ prefix: 'x"; DROP' }, 'prefix'],
    [{ reverseGuard: 'warn' }, 'reverseGuard'],
    [{ onReport: 'log' }, 'onReport'],
  ])('rejects %o with a TypeError naming %s', (options, name) => {
    expect(() => createShadowResolver(options as never)).toThrow(TypeError);
    expect(() => createShadowResolver(options as never)).toThrow(name);
  });

  it('accepts a suffix-only configuration', () => {
    const r = createShadowResolver({ prefix: '', suffix: '_shadow' });
    expect(r.shadowName('orders')).toBe('orders_shadow');
    expect(r.isShadowName('orders_shadow')).toBe(true);
    expect(r.isShadowName('orders')).toBe(false);
  });
});

describe('isShadow', () => {
  const r = createShadowResolver();
  it('reads the current tag by default', () => {
    expect(r.isShadow()).toBe(false);
    expect(runWithTag(SHADOW, () => r.isShadow())).toBe(true);
    expect(runWithTag(PROD, () => r.isShadow())).toBe(false);
  });
  it('prefers an explicit tag', () => {
    expect(runWithTag(PROD, () => r.isShadow(SHADOW))).toBe(true);
    expect(runWithTag(SHADOW, () => r.isShadow(PROD))).toBe(false);
  });
});

describe('isShadowName', () => {
  const r = createShadowResolver({ prefix: 's_', suffix: '_x' });
  it('needs prefix, suffix and a non-empty base', () => {
    expect(r.isShadowName('s_orders_x')).toBe(true);
    expect(r.isShadowName('s_orders')).toBe(false);
    expect(r.isShadowName('orders_x')).toBe(false);
    expect(r.isShadowName('s__x')).toBe(false);
  });
});

describe('name', () => {
  const r = createShadowResolver();
  it('maps to the shadow name under shadow, once', () => {
    runWithTag(SHADOW, () => {
      expect(r.name('orders', 'table')).toBe('shadow_orders');
      expect(r.name('shadow_orders', 'table')).toBe('shadow_orders');
    });
  });
  it('keeps production names for production', () => {
    expect(r.name('orders', 'table')).toBe('orders');
    expect(runWithTag(PROD, () => r.name('orders', 'table'))).toBe('orders');
  });
  it('throws on a production request naming a shadow name (reverse guard)', () => {
    let caught: unknown;
    try {
      runWithTag(PROD, () => r.name('shadow_orders', 'table'));
    } catch (error) {
      caught = error;
    }
    expect(isShadowIsolationError(caught)).toBe(true);
    expect((caught as ShadowIsolationError).resource).toBe('table shadow_orders');
    expect((caught as Error).message).toContain('table');
  });
  it('reports instead when reverseGuard is report', () => {
    const onReport = vi.fn();
    const rr = createShadowResolver({ reverseGuard: 'report', onReport });
    expect(rr.name('shadow_orders', 'key')).toBe('shadow_orders');
    expect(onReport).toHaveBeenCalledTimes(1);
    expect(onReport.mock.calls[0]?.[0]).toBeInstanceOf(ShadowIsolationError);
  });
  it('swallows a throwing onReport', () => {
    const rr = createShadowResolver({
      reverseGuard: 'report',
      onReport: () => {
        throw new Error('hook broke');
      },
    });
    expect(rr.name('shadow_q', 'queue')).toBe('shadow_q');
  });
  it('rejects an empty name', () => {
    expect(() => r.name('', 'table')).toThrow(TypeError);
  });
});

describe('pick', () => {
  const r = createShadowResolver();
  const prod = { id: 'prod' };
  const shadow = { id: 'shadow' };
  it('picks production outside shadow and shadow under shadow', () => {
    expect(r.pick({ production: prod, shadow }, 'pool')).toBe(prod);
    expect(runWithTag(SHADOW, () => r.pick({ production: prod, shadow }, 'pool'))).toBe(shadow);
  });
  it('fails closed when shadow has no target', () => {
    expect(() => runWithTag(SHADOW, () => r.pick({ production: prod, shadow: undefined }, 'pg pool'))).toThrow(
      ShadowIsolationError,
    );
    expect(() => r.pick({ production: prod, shadow: null as never }, 'x', SHADOW)).toThrow(ShadowIsolationError);
  });
  it('production never needs a shadow target', () => {
    expect(r.pick({ production: prod, shadow: undefined }, 'pool', PROD)).toBe(prod);
  });
});

describe('guardShadowTarget', () => {
  it('throws for production, passes for shadow', () => {
    const r = createShadowResolver();
    expect(() => r.guardShadowTarget('shadow pool')).toThrow(ShadowIsolationError);
    expect(() => r.guardShadowTarget('shadow pool', SHADOW)).not.toThrow();
  });
  it('reports in report mode', () => {
    const onReport = vi.fn();
    const r = createShadowResolver({ reverseGuard: 'report', onReport });
    r.guardShadowTarget('shadow pool', PROD);
    expect(onReport).toHaveBeenCalledTimes(1);
  });
});
