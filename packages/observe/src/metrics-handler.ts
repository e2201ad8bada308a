import type { IncomingMessage, ServerResponse } from 'node:http';
import { register as globalRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

/**
 * A `/metrics` handler for any Node HTTP server: `app.get('/metrics', metricsHandler())`
 * in Express, `router.get('/metrics', (ctx) => { ctx.respond = false; handler(ctx.req, ctx.res); })`
 * in Koa, or `http.createServer(metricsHandler())`.
 *
 * @throws {TypeError} when `registry` is not a prom-client Registry.
 */
export function metricsHandler(registry: Registry = globalRegistry): (req: IncomingMessage, res: ServerResponse) => void {
  if (typeof registry?.metrics !== 'function') throw new TypeError('metricsHandler: registry must be a prom-client Registry');
  return (_req, res) => {
    registry.metrics().then(
      (body) => {
        res.statusCode = 200;
        res.setHeader('content-type', registry.contentType);
        res.end(body);
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  };
}
