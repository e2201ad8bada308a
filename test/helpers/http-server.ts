import { createServer } from 'node:http';
import type { IncomingHttpHeaders, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server listening on 127.0.0.1 on a port the OS chose. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on `127.0.0.1:0` and resolves once bound. */
export async function listen(server: Server): Promise<RunningServer> {
  // The concurrency test opens thousands of sockets; the default backlog of 511 would drop some.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts a plain Node server for `listener`. */
export function serve(listener: RequestListener): Promise<RunningServer> {
  return listen(createServer(listener));
}

/**
 * The downstream of every test: answers with the request headers it saw, as
 * JSON, so the test can check what reached the last hop.
 */
export function startEcho(): Promise<RunningServer> {
  return serve((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.headers));
    });
  });
}

/** Header set as seen by the echo server. */
export type SeenHeaders = IncomingHttpHeaders;
