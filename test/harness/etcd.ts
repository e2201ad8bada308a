import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryOrSkip } from './binary.js';
import { freePort } from './free-port.js';

/** The etcd binary, or `undefined` (tests skip with a reason; CI throws). */
export const etcdBinary: string | undefined = binaryOrSkip('etcd');

/** A running etcd for one test file. */
export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Stops etcd and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts the installed `etcd` (3.4) on free loopback ports in a fresh temp
 * directory and waits until it answers `/health`.
 *
 * @throws {Error} when the binary is missing or etcd does not become healthy in 20 s.
 */
export async function startEtcd(): Promise<EtcdServer> {
  if (etcdBinary === undefined) throw new Error('etcd is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'dyeline-etcd-'));
  const port = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child = spawn(
    etcdBinary,
    [
      '--name', 'default',
      '--data-dir', join(dir, 'data'),
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `default=${peer}`,
      '--log-level', 'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return { url, port, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`etcd did not become healthy on ${url}: ${stderr}`);
}
