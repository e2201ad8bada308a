// The `dyeline` command run as a child process, as a user runs it: `load`
// against a real Koa service whose trust policy requires signatures, and
// `audit` against a real PostgreSQL and Redis while that load writes through
// @dyeline/shadow.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Koa from 'koa';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTag } from '@dyeline/core';
import { dyeline } from '@dyeline/koa';
import { shadowRedis } from '@dyeline/shadow/ioredis';
import { shadowPool } from '@dyeline/shadow/pg';
import { postgresBinary, startPostgres } from './harness/postgres.js';
import type { PostgresServer } from './harness/postgres.js';
import { redisBinary, startRedis } from './harness/redis.js';
import type { RedisServer } from './harness/redis.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'packages/cli/src/bin.ts');
const KEY = randomBytes(32).toString('base64url');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `dyeline …` in a child process (tsx runs the TypeScript sources). */
function dyelineCli(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], {
      cwd: root,
      env: { ...process.env, DYELINE_SIGN_KEY: KEY, DYELINE_SIGN_KEY_ID: 'loadgen', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The load child as the audited command: `node --import tsx bin.ts load …`. */
const loadCommand = (url: string, ...flags: string[]) => [process.execPath, '--import', 'tsx', bin, 'load', url, '--json', ...flags];

interface Sent {
  requests: number;
  sent: number;
}

/** The service handled every answered request, and at most what was sent (the run stops with some in flight). */
function expectHandled(handled: number, report: Sent): void {
  expect(handled).toBeGreaterThanOrEqual(report.requests);
  expect(handled).toBeLessThanOrEqual(report.sent);
}

function lastJson<T>(text: string): T {
  const lines = text.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}

async function listen(app: Koa): Promise<{ url: string; server: Server }> {
  const server = createServer(app.callback());
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('dyeline load against a Koa service that requires signed tags', () => {
  const seen = { shadow: 0, production: 0 };
  const ingress = dyeline({ trust: { signing: { keys: { loadgen: KEY } } } });
  let url = '';
  let server: Server;

  beforeAll(async () => {
    const app = new Koa();
    app.silent = true;
    app.use(ingress);
    app.use((ctx) => {
      if (ctx.path === '/fail') ctx.throw(500, 'down');
      if (currentTag()?.shadow === true) seen.shadow++;
      else seen.production++;
      ctx.body = 'ok';
    });
    ({ url, server } = await listen(app));
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('a signed shadow tag is believed on every request', async () => {
    seen.shadow = seen.production = 0;
    const run = await dyelineCli(['load', `${url}/`, '--shadow', '--rate', '100', '--duration', '1', '--connections', '2', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = lastJson<Sent & { ok: boolean; tagHeaders: Record<string, string> }>(run.stdout);
    expect(report.requests).toBeGreaterThan(20);
    expect(report.tagHeaders['x-shadow']).toBe('1');
    expect(seen.production).toBe(0);
    expectHandled(seen.shadow, report);
  });

  it('an unsigned shadow mark is dropped: every request runs as production', async () => {
    seen.shadow = seen.production = 0;
    const drops = ingress.stats.untrustedDrops;
    const run = await dyelineCli(['load', `${url}/`, '--shadow', '--unsigned', '--rate', '100', '--duration', '1', '--connections', '2', '--json']);
    expect(run.code).toBe(0);
    const report = lastJson<Sent>(run.stdout);
    expect(seen.shadow).toBe(0);
    expectHandled(seen.production, report);
    expectHandled(ingress.stats.untrustedDrops - drops, report);
  });

  it('a tag signed with the wrong key is refused', async () => {
    seen.shadow = seen.production = 0;
    const refused = ingress.stats.signatureRejected;
    const run = await dyelineCli(['load', `${url}/`, '--shadow', '--duration', '0.5', '--rate', '50', '--connections', '1', '--json'], {
      DYELINE_SIGN_KEY: randomBytes(32).toString('base64url'),
    });
    const report = lastJson<Sent>(run.stdout);
    expect(seen.shadow).toBe(0);
    expectHandled(ingress.stats.signatureRejected - refused, report);
  });

  it('exits 1 when errors pass the threshold, 2 on bad flags', async () => {
    const failing = await dyelineCli(['load', `${url}/fail`, '--duration', '0.5', '--rate', '50', '--connections', '1']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/dyeline load: FAILED/);
    expect(failing.stdout).toMatch(/non-2xx\s+[1-9]/);

    const unknown = await dyelineCli(['load', url, '--rps', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--rps'/);
    const unsigned = await dyelineCli(['load', url, '--shadow'], { DYELINE_SIGN_KEY: '' });
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toMatch(/--shadow needs a signing key/);
    const badRate = await dyelineCli(['load', url, '--rate', 'fast']);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toMatch(/--rate must be a number/);
  });
});

describe.skipIf(postgresBinary === undefined || redisBinary === undefined)( // reason: needs the postgres and redis-server binaries (CI=true installs them, and fails when missing)
  'dyeline audit on PostgreSQL and Redis (skipped: postgres 15 or redis-server not installed)',
  () => {
    let pgServer: PostgresServer;
    let redisServer: RedisServer;
    let production: pg.Pool;
    let orders: ReturnType<typeof shadowPool>;
    let redis: Redis;
    let carts: Redis;
    let url = '';
    let server: Server;
    const dir = mkdtempSync(join(tmpdir(), 'dyeline-cli-audit-'));
    const config = join(dir, 'audit.yaml');

    beforeAll(async () => {
      [pgServer, redisServer] = await Promise.all([startPostgres(), startRedis()]);
      production = new pg.Pool({ connectionString: pgServer.url, max: 4 });
      await production.query('CREATE SCHEMA shadow');
      for (const schema of ['public', 'shadow']) {
        await production.query(`CREATE TABLE ${schema}.orders (id serial PRIMARY KEY, shadow boolean NOT NULL)`);
      }
      orders = shadowPool({ production, shadow: { schema: 'shadow', config: { max: 4 } } });
      redis = new Redis(redisServer.url);
      carts = shadowRedis({ production: redis, strategy: 'prefix' });

      const app = new Koa();
      app.use(dyeline({ trust: { signing: { keys: { loadgen: KEY } } } }));
      app.use(async (ctx) => {
        const shadow = currentTag()?.shadow === true;
        // `/leak` is the bug the audit exists for: a write that bypasses the shadow wrapper.
        const db = ctx.path === '/leak' ? production : orders;
        await db.query('INSERT INTO orders (shadow) VALUES ($1)', [shadow]);
        await carts.set(`cart:${randomUUID()}`, '1');
        ctx.body = 'ok';
      });
      ({ url, server } = await listen(app));
      writeFileSync(
        config,
        [
          'checks:',
          '  - name: orders',
          '    sql:',
          '      url: ${AUDIT_PG_URL}',
          '      production: SELECT count(*) FROM public.orders',
          '      shadow: SELECT count(*) FROM shadow.orders',
          '  - name: carts',
          `    redis: { url: '${redisServer.url}', production: 'cart:*', shadow: 'shadow_cart:*' }`,
        ].join('\n'),
      );
    });
    afterAll(async () => {
      server?.closeAllConnections();
      server?.close();
      await orders?.end();
      redis?.disconnect();
      await Promise.all([pgServer?.stop(), redisServer?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    const env = () => ({ AUDIT_PG_URL: pgServer.url });
    type AuditJson = { ok: boolean; productionChanges: number; findings: { check: string; side: string; before: number; after: number }[] };
    const delta = (report: AuditJson, check: string, side: string) => {
      const finding = report.findings.find((each) => each.check === check && each.side === side);
      return finding === undefined ? NaN : finding.after - finding.before;
    };

    it('passes a signed shadow run: every write landed in shadow targets', async () => {
      const run = await dyelineCli(
        ['audit', '--config', config, '--json', '--', ...loadCommand(`${url}/orders`, '--shadow', '--method', 'POST', '--rate', '100', '--duration', '1', '--connections', '2')],
        env(),
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const [loadLine] = run.stdout.trim().split('\n');
      const load = JSON.parse(loadLine as string) as Sent & { non2xx: number };
      const report = lastJson<AuditJson>(run.stdout);
      expect(load.requests).toBeGreaterThan(20);
      expect(load.non2xx).toBe(0);
      expect(report).toMatchObject({ ok: true, productionChanges: 0 });
      expect(delta(report, 'orders', 'production')).toBe(0);
      expectHandled(delta(report, 'orders', 'shadow'), load);
      expect(delta(report, 'carts', 'production')).toBe(0);
      expect(delta(report, 'carts', 'shadow')).toBe(delta(report, 'orders', 'shadow'));
    });

    it('fails with exit 1 when a production write happens during the run', async () => {
      const run = await dyelineCli(
        ['audit', '--config', config, '--', ...loadCommand(`${url}/leak`, '--shadow', '--method', 'POST', '--rate', '50', '--duration', '0.5', '--connections', '1')],
        env(),
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/dyeline audit: FAIL — 1 production target\(s\) changed/);
      expect(run.stdout).toMatch(/orders\s+production\s+\d+ → \d+\s+\+\d+ LEAK/);
      expect(run.stdout).toMatch(/carts\s+shadow\s+\d+ → \d+\s+\+\d+ \(expected: shadow\)/);
    });

    it('snapshot, then check: a production change between them fails', async () => {
      const snapshot = join(dir, 'before.json');
      const taken = await dyelineCli(['audit', 'snapshot', '--config', config, '--out', snapshot], env());
      expect(taken.code).toBe(0);
      const clean = await dyelineCli(['audit', 'check', '--config', config, '--before', snapshot], env());
      expect(clean.code).toBe(0);
      expect(clean.stdout).toMatch(/PASS/);
      await redis.set('cart:written-by-hand', '1');
      const dirty = await dyelineCli(['audit', 'check', '--config', config, '--before', snapshot, '--json'], env());
      expect(dirty.code).toBe(1);
      expect(delta(lastJson<AuditJson>(dirty.stdout), 'carts', 'production')).toBe(1);
    });

    it('cannot measure → exit 3; bad config → exit 2 naming the field', async () => {
      const down = await dyelineCli(['audit', 'snapshot', '--config', config, '--out', join(dir, 'x.json')], {
        AUDIT_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      });
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/check "orders" \(production\)/);
      const missing = await dyelineCli(['audit', 'snapshot', '--config', config, '--out', join(dir, 'x.json')], { AUDIT_PG_URL: '' });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/checks\[0\]\.sql\.url: environment variable AUDIT_PG_URL is not set/);
      const noCommand = await dyelineCli(['audit', '--config', config], env());
      expect(noCommand.code).toBe(2);
    });
  },
);
