import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { binaryOrSkip, findBinary } from './binary.js';
import { freePort } from './free-port.js';

const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];

/** The `postgres` server binary, or `undefined` (tests skip with a reason; CI throws). */
export const postgresBinary: string | undefined = binaryOrSkip('postgres', PG_BIN);

/** A running PostgreSQL for one test file. */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  database: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** Directory holding the unix socket (`host` for a socket connection). */
  socketDir: string;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

// PostgreSQL refuses to run as root: under uid 0, the server runs as the
// `postgres` system user (Debian creates it with the package) via runuser.
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('running as root needs a "postgres" user to start PostgreSQL (useradd -r postgres)');
  }
}

function command(owner: { uid: number } | undefined, binary: string, args: string[]): [string, string[]] {
  if (owner === undefined) return [binary, args];
  const runuser = findBinary('runuser', ['/usr/sbin', '/sbin']);
  if (runuser === undefined) throw new Error('running as root needs runuser to start PostgreSQL as user postgres');
  return [runuser, ['-u', 'postgres', '--', binary, ...args]];
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function signal(pid: number | undefined, child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (pid !== undefined) process.kill(pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

/**
 * Starts the installed PostgreSQL (15) with `initdb` + `postgres` in a fresh
 * temp directory: TCP on a free loopback port, the unix socket in the same
 * directory, fsync off, trust auth for user `postgres`. Waits until it accepts
 * a connection.
 *
 * @throws {Error} when the binaries are missing or the server does not come up in 30 s.
 */
export async function startPostgres(options: { maxConnections?: number } = {}): Promise<PostgresServer> {
  if (postgresBinary === undefined) throw new Error('PostgreSQL (postgres, initdb) is not installed');
  const binDir = postgresBinary.slice(0, postgresBinary.lastIndexOf('/'));
  const initdb = join(binDir, 'initdb');
  const owner = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'dyeline-pg-'));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const dataDir = join(dir, 'data');
  const [initCmd, initArgs] = command(owner, initdb, [
    '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions',
  ]);
  try {
    execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${stderr}`, { cause: error });
  }
  const port = await freePort();
  const [cmd, args] = command(owner, postgresBinary, [
    '-D', dataDir,
    '-p', String(port),
    '-k', dir,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'fsync=off',
    '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off',
    '-c', `max_connections=${options.maxConnections ?? 100}`,
  ]);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A crashed test run must not leave a server behind.
  const onExit = () => signal(postmasterPid(dataDir), child, 'SIGQUIT');
  process.once('exit', onExit);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      await untilNoClients(`postgres://postgres@127.0.0.1:${port}/postgres`).catch(() => undefined);
      // Fast shutdown goes to the postmaster itself: runuser may not forward it.
      signal(postmasterPid(dataDir), child, 'SIGINT');
      const timer = setTimeout(() => signal(postmasterPid(dataDir), child, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const host = '127.0.0.1';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const client = new pg.Client({ host, port, user: 'postgres', database: 'postgres' });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return {
        host,
        port,
        user: 'postgres',
        database: 'postgres',
        url: `postgres://postgres@${host}:${port}/postgres`,
        socketDir: dir,
        stop,
      };
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`PostgreSQL did not start on port ${port}: ${stderr}`);
}

/**
 * pg's Pool.end() resolves before its clients' sockets have closed; stopping
 * the server in that window sends them a FATAL nobody listens for (an
 * unhandled error in the test run). Waits, up to 2.5 s, until the server has
 * no other client backends.
 */
async function untilNoClients(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (let i = 0; i < 50; i++) {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
      );
      if (rows[0]?.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}
