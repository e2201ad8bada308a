import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './serve.js';

/** A scenario's server running in its own process. */
export interface ServerProcess {
  readonly url: string;
  /** CPU time (µs) and requests served so far, as the child sees them. */
  mark(): Promise<{ cpuUs: number; userUs: number; requests: number }>;
  stop(): Promise<void>;
}

const SERVE = fileURLToPath(new URL('./serve.ts', import.meta.url));
const DIST_TSCONFIG = fileURLToPath(new URL('../tsconfig.dist.json', import.meta.url));

/** Starts `bench/http/serve.ts` for `name` and waits until it listens. */
export function startServer(name: string, from: 'dist' | 'src', downstream = ''): Promise<ServerProcess> {
  const env = { ...process.env };
  // Measuring dist/: keep tsx from mapping @dyeline/* back to the sources through the root tsconfig's paths.
  if (from === 'dist') env.TSX_TSCONFIG_PATH = DIST_TSCONFIG;
  const child: ChildProcess = fork(SERVE, [name, from, downstream], {
    execArgv: ['--import', 'tsx'],
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending: ((message: { cpuUs: number; userUs: number; requests: number }) => void)[] = [];
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`bench server "${name}" exited with ${code} before listening`));
    child.once('exit', onExit);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'mark') {
        pending.shift()?.(message);
        return;
      }
      child.off('exit', onExit);
      resolve({
        url: `http://127.0.0.1:${message.port}/`,
        mark: () =>
          new Promise((resolveMark) => {
            pending.push(resolveMark);
            child.send({ type: 'mark' });
          }),
        stop: () =>
          new Promise<void>((resolveStop) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolveStop();
            child.once('exit', () => resolveStop());
            child.disconnect();
          }),
      });
    });
  });
}
