// A known context-losing pattern: a queue created at startup drains jobs
// from its own timer, so jobs queued by a request run outside its
// AsyncLocalStorage context. The detector must name the job's call site.
import http from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindToCurrentContext, createIngress, incomingHeadersGetter, runWithTag } from '@dyeline/core';
import { contextLossDetector } from '@dyeline/observe';
import type { ContextLossReport } from '@dyeline/observe';

/** Like a connection pool made at startup: its timer, not the request, runs the callbacks. */
class StartupQueue {
  private readonly jobs: (() => void)[] = [];
  private readonly timer = setInterval(() => {
    for (const job of this.jobs.splice(0)) job();
  }, 2);
  push(job: () => void): void {
    this.jobs.push(job);
  }
  close(): void {
    clearInterval(this.timer);
  }
}

const queue = new StartupQueue();
const reports: ContextLossReport[] = [];
const detector = contextLossDetector({ onReport: (r) => reports.push(r), lingerMs: 0, once: false });
const servers: Server[] = [];
let downstream = '';
let service = '';

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

function getText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  downstream = await listen(http.createServer((req, res) => res.end('ok')));
  const ingress = createIngress({ trust: { trustedCidrs: ['127.0.0.1/32'] } });
  service = await listen(
    http.createServer((req, res) => {
      const { tag } = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
      runWithTag(tag, () => {
        const done = () => res.end('done');
        const mode = req.url ?? '/';
        if (mode === '/lost-http') {
          queue.push(function sendReceiptOverHttp() {
            getText(`${downstream}/receipt`).then(done, done);
          });
        } else if (mode === '/lost-fetch') {
          queue.push(function sendReceiptWithFetch() {
            fetch(`${downstream}/receipt`).then((r) => r.text()).then(done, done);
          });
        } else if (mode === '/lost-db') {
          queue.push(function saveOrder() {
            detector.check('datastore', 'pg INSERT orders');
            done();
          });
        } else if (mode === '/bound') {
          queue.push(bindToCurrentContext(function boundJob() {
            getText(`${downstream}/receipt`).then(done, done);
          }));
        } else {
          getText(`${downstream}/direct`).then(done, done);
        }
      });
    }),
  );
});

afterAll(async () => {
  detector.close();
  queue.close();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function call(path: string, headers: Record<string, string> = { 'x-color': 'red' }): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(`${service}${path}`, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject);
  });
}

describe('contextLossDetector', () => {
  it('reports an http call queued on a startup queue, naming the call site', async () => {
    reports.length = 0;
    await call('/lost-http');
    expect(reports).toHaveLength(1);
    const [report] = reports;
    expect(report?.kind).toBe('http');
    expect(report?.target).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/receipt$/);
    // The innermost application frame is the http.get inside getText's promise executor.
    expect(report?.callSite).toMatch(/observe-context-loss\.test\.ts:\d+:\d+\)?$/);
    expect(report?.stack.join('\n')).toMatch(/getText [^\n]*\n[^\n]*sendReceiptOverHttp .*observe-context-loss\.test\.ts/);
    expect(report?.taggedInFlight).toBe(1);
  });

  it('reports a fetch call and a datastore check with their call sites', async () => {
    reports.length = 0;
    await call('/lost-fetch');
    await call('/lost-db');
    expect(reports.map((r) => r.kind)).toEqual(['fetch', 'datastore']);
    expect(reports[0]?.callSite).toMatch(/sendReceiptWithFetch .*observe-context-loss\.test\.ts:\d+/);
    expect(reports[1]).toMatchObject({ target: 'pg INSERT orders' });
    expect(reports[1]?.callSite).toMatch(/saveOrder .*observe-context-loss\.test\.ts:\d+/);
  });

  it('stays quiet for calls made inside the request and for bound callbacks', async () => {
    reports.length = 0;
    await call('/direct');
    await call('/bound');
    expect(reports).toEqual([]);
  });

  it('stays quiet when no tagged request is in flight', async () => {
    reports.length = 0;
    await call('/lost-http', {});
    expect(reports).toEqual([]);
  });

  it('rejects bad options at construction', () => {
    expect(() => contextLossDetector({} as never)).toThrow(/options.onReport/);
    expect(() => contextLossDetector({ onReport() {}, lingerMs: -1 })).toThrow(/options.lingerMs/);
  });
});
