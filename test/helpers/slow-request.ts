import { request } from 'node:http';

/** A response read to the end. */
export interface SlowResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * POSTs `chunks` with a pause before each one, so the server receives the
 * body from the socket after its handler started — the case where `data`
 * and `end` are emitted from the connection's async context, not the request's.
 */
export function postSlowly(url: string, chunks: readonly string[], headers: Record<string, string> = {}, pauseMs = 20): Promise<SlowResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.flushHeaders();
    let i = 0;
    const next = (): void => {
      if (i === chunks.length) {
        req.end();
        return;
      }
      req.write(chunks[i++]);
      setTimeout(next, pauseMs);
    };
    setTimeout(next, pauseMs);
  });
}
