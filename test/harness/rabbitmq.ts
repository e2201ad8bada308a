import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { binaryOrSkip } from './binary.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);
// Debian's /usr/sbin wrappers `su` to the rabbitmq user; the real scripts run as anyone.
const RABBIT_BIN = ['/usr/lib/rabbitmq/bin'];

/** The rabbitmq-server script, or `undefined` (tests skip with a reason; CI throws). */
export const rabbitmqBinary: string | undefined = binaryOrSkip('rabbitmq-server', RABBIT_BIN);

/** A running RabbitMQ node for one test file. */
export interface RabbitServer {
  /** `amqp://guest:guest@127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Stops the node (rabbitmqctl stop, then the process group), its epmd, and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts the installed RabbitMQ as a throw-away node: unique node name
 * `dyeline-<pid>-<n>@localhost`, free AMQP, distribution and epmd ports, no
 * plugins, mnesia and logs in a fresh temp directory. Resolves once an
 * amqplib connection succeeds (startup takes several seconds).
 *
 * @throws {Error} when the binary is missing or the node does not accept connections in 60 s.
 */
export async function startRabbit(): Promise<RabbitServer> {
  if (rabbitmqBinary === undefined) throw new Error('rabbitmq-server is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'dyeline-rabbit-'));
  const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const nodename = `dyeline-${process.pid}-${port}@localhost`;
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  const env = {
    ...process.env,
    HOME: dir, // the Erlang cookie lives here, shared with rabbitmqctl below
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_LOGS: '-',
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const child = spawn(rabbitmqBinary, [], { env, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bin = rabbitmqBinary.replace(/rabbitmq-server$/, '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await run(`${bin}rabbitmqctl`, ['-n', nodename, 'stop'], { env, timeout: 15_000 }).catch(() => undefined);
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
    // The node started its own epmd on our port; it outlives the node.
    await run('epmd', ['-kill'], { env, timeout: 5000 }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const connection = await connect(url);
      await connection.close();
      return { url, port, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  await stop();
  throw new Error(`rabbitmq-server did not accept AMQP connections on ${url}: ${output}`);
}
