import type * as NodeHttp from 'node:http';

/**
 * GET `url` through the given `node:http` module — the one an
 * instrumentation patched (`createRequire(...)('node:http')`) — and resolve
 * with the body.
 */
export function nodeHttpGet(http: typeof NodeHttp, url: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}
