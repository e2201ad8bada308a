// Test-only helper (not exported): a real HTTP upstream on 127.0.0.1:0 that answers, fails, hangs and recovers.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running upstream and what it saw. */
export interface Upstream {
  readonly url: string;
  /** Requests received, by path (without query). */
  readonly hits: Map<string, number>;
  /** Hanging requests whose client went away (the work was really stopped). */
  aborted: number;
  /** Answer status for `/status`; change it to fail or recover. */
  status: number;
  close(): Promise<void>;
}

/**
 * Paths: `/ok` → 200; `/status` → `upstream.status`; `/hang` → never answers;
 * `/slow?ms=N` → 200 after N ms; `/flaky?fail=N&key=K` → 503 for the first N hits of K, then 200.
 */
export async function startUpstream(): Promise<Upstream> {
  const hits = new Map<string, number>();
  const flaky = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    switch (url.pathname) {
      case '/ok':
        return void res.end('ok');
      case '/status':
        res.statusCode = upstream.status;
        return void res.end(String(upstream.status));
      case '/hang':
        res.on('close', () => {
          if (!res.writableEnded) upstream.aborted++;
        });
        return;
      case '/slow': {
        const timer = setTimeout(() => res.end('slow'), Number(url.searchParams.get('ms') ?? 50));
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/flaky': {
        const key = url.searchParams.get('key') ?? '';
        const n = (flaky.get(key) ?? 0) + 1;
        flaky.set(key, n);
        res.statusCode = n <= Number(url.searchParams.get('fail') ?? 1) ? 503 : 200;
        return void res.end(String(res.statusCode));
      }
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: Upstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    aborted: 0,
    status: 200,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return upstream;
}

/** A URL on which nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
