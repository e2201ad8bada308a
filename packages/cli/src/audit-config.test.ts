import { describe, expect, it } from 'vitest';
import { parseAuditConfig } from './audit-config.js';
import { isAuditConfigError } from './audit-config-error.js';
import { compareSnapshots, parseSnapshot } from './audit.js';
import { formatAuditReport } from './format-audit-report.js';

const env = { DATABASE_URL: 'postgres://app:secret@db:5432/shop' };

function fieldOf(input: unknown): string {
  try {
    parseAuditConfig(input, { env });
  } catch (error) {
    if (isAuditConfigError(error)) return error.field;
    throw error;
  }
  throw new Error('expected an AuditConfigError');
}

describe('parseAuditConfig', () => {
  it('reads sql, redis and rabbitmq checks from YAML, sides sharing or overriding the location', () => {
    const config = parseAuditConfig(
      `
checks:
  - name: orders
    sql:
      url: \${DATABASE_URL}
      production: SELECT count(*) FROM orders
      shadow: { url: postgres://db:5432/shop_shadow, query: SELECT count(*) FROM orders }
  - name: embedded
    sql: { dataDir: ./pgdata, production: SELECT count(*) FROM orders }
  - name: carts
    redis: { url: redis://127.0.0.1:6379/2, production: 'cart:*', shadow: 'shadow_cart:*' }
  - name: events
    rabbitmq: { url: amqp://127.0.0.1, production: orders, shadow: shadow_orders }
`,
      { env },
    );
    expect(config.checks.map((check) => check.name)).toEqual(['orders', 'embedded', 'carts', 'events']);
    expect(config.checks[0]?.production).toEqual({
      kind: 'sql',
      url: 'postgres://app:secret@db:5432/shop',
      dataDir: undefined,
      query: 'SELECT count(*) FROM orders',
    });
    expect(config.checks[0]?.shadow).toMatchObject({ url: 'postgres://db:5432/shop_shadow' });
    expect(config.checks[1]?.production).toMatchObject({ dataDir: './pgdata', url: undefined });
    expect(config.checks[1]?.shadow).toBeUndefined();
    expect(config.checks[2]?.shadow).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379/2', pattern: 'shadow_cart:*' });
    expect(config.checks[3]?.production).toEqual({ kind: 'rabbitmq', url: 'amqp://127.0.0.1', queue: 'orders' });
  });

  it('names the field that is wrong', () => {
    const sql = (body: Record<string, unknown>) => ({ checks: [{ name: 'a', sql: body }] });
    expect(fieldOf('checks: [')).toBe('(yaml)');
    expect(fieldOf({})).toBe('checks');
    expect(fieldOf({ checks: [] })).toBe('checks');
    expect(fieldOf({ chekcs: [] })).toBe('(root).chekcs');
    expect(fieldOf({ checks: [{ sql: { url: 'postgres://x', production: 'q' } }] })).toBe('checks[0].name');
    expect(fieldOf({ checks: [{ name: 'a' }] })).toBe('checks[0]');
    expect(fieldOf({ checks: [{ name: 'a', sql: {}, redis: {} }] })).toBe('checks[0]');
    expect(fieldOf(sql({ url: 'postgres://x' }))).toBe('checks[0].sql.production');
    expect(fieldOf(sql({ production: 'q' }))).toBe('checks[0].sql.production.url');
    expect(fieldOf(sql({ url: 'mysql://x', production: 'q' }))).toBe('checks[0].sql.url');
    expect(fieldOf(sql({ url: '${NOPE}', production: 'q' }))).toBe('checks[0].sql.url');
    expect(fieldOf(sql({ url: 'postgres://x', production: '' }))).toBe('checks[0].sql.production');
    expect(fieldOf(sql({ url: 'postgres://x', production: { querry: 'q' } }))).toBe('checks[0].sql.production.querry');
    expect(fieldOf(sql({ url: 'postgres://x', dataDir: 'd', production: 'q' }))).toBe('checks[0].sql');
    expect(fieldOf({ checks: [{ name: 'r', redis: { url: 'redis://x', dataDir: 'd', production: 'p' } }] })).toBe('checks[0].redis.dataDir');
    expect(fieldOf({ checks: [{ name: 'r', rabbitmq: { url: 'redis://x', production: 'q' } }] })).toBe('checks[0].rabbitmq.url');
    const twice = { name: 'a', sql: { url: 'postgres://x', production: 'q' } };
    expect(fieldOf({ checks: [twice, twice] })).toBe('checks[1].name');
  });
});

describe('compareSnapshots', () => {
  const config = parseAuditConfig({
    checks: [
      { name: 'orders', sql: { url: 'postgres://u:pw@db/app', production: 'SELECT count(*) FROM orders', shadow: 'SELECT count(*) FROM shadow_orders' } },
      { name: 'events', rabbitmq: { url: 'amqp://h', production: 'orders' } },
    ],
  });
  const snapshot = (values: Record<string, { production: number | null; shadow?: number }>) =>
    parseSnapshot({ version: 1, takenAt: 'now', values });

  it('passes when only shadow targets changed, and says so', () => {
    const report = compareSnapshots(
      config,
      snapshot({ orders: { production: 7, shadow: 0 }, events: { production: null } }),
      snapshot({ orders: { production: 7, shadow: 500 }, events: { production: null } }),
    );
    expect(report.ok).toBe(true);
    expect(report.productionChanges).toBe(0);
    const text = formatAuditReport(report);
    expect(text).toMatch(/^dyeline audit: PASS/);
    expect(text).toContain('+500 (expected: shadow)');
    expect(text).toContain('postgres://u:***@db/app');
    expect(text).not.toContain('pw');
  });

  it('fails on any production change, and names it', () => {
    const report = compareSnapshots(
      config,
      snapshot({ orders: { production: 7, shadow: 0 }, events: { production: null } }),
      snapshot({ orders: { production: 7, shadow: 0 }, events: { production: 1 } }),
    );
    expect(report.ok).toBe(false);
    expect(report.productionChanges).toBe(1);
    expect(report.findings.filter((finding) => finding.changed).map((finding) => finding.check)).toEqual(['events']);
    expect(formatAuditReport(report)).toMatch(/^dyeline audit: FAIL — 1 production target/);
  });

  it('refuses snapshots that are not snapshots, or lack a check', () => {
    expect(() => parseSnapshot({ values: {} })).toThrow(/version 1/);
    expect(() => parseSnapshot({ version: 1, values: { a: { production: {} } } })).toThrow(/values\.a/);
    expect(() => compareSnapshots(config, snapshot({ orders: { production: 1 } }), snapshot({ orders: { production: 1 } }))).toThrow(
      /"events" is not in the snapshot/,
    );
  });
});
