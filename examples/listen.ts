import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A service of the examples, listening on loopback. */
export interface RunningService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops kept-alive connections, so the process can exit. */
  close(): Promise<void>;
}

/**
 * Listens on `127.0.0.1` port 0 (the OS picks a free port) and resolves once
 * the server accepts connections.
 */
export async function listenOnLoopback(server: Server): Promise<RunningService> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from the demo's own clients would hold close() open.
        server.closeAllConnections();
      }),
  };
}
