// Runs examples/metrics-endpoint.ts: traffic in, metrics scraped over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsExample } from '../examples/metrics-endpoint.js';
import type { RunningService } from '../examples/listen.js';

let service: RunningService;
beforeAll(async () => {
  service = await startMetricsExample('v2');
});
afterAll(() => service.close());

describe('examples/metrics-endpoint', () => {
  it('serves /metrics with requests by color, subset and outcome, and untrusted drops', async () => {
    expect(await (await fetch(`${service.url}/hello`, { headers: { 'x-color': 'blue' } })).json()).toEqual({ version: 'v2', color: 'blue' });
    await (await fetch(`${service.url}/hello`, { headers: { 'x-shadow': '1' } })).text();
    await (await fetch(`${service.url}/nowhere`)).text();
    const res = await fetch(`${service.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('dyeline_requests_total{color="blue",subset="v2",outcome="2xx"} 1');
    expect(body).toContain('dyeline_requests_total{color="",subset="v2",outcome="2xx"} 1');
    expect(body).toContain('dyeline_requests_total{color="",subset="v2",outcome="4xx"} 1');
    expect(body).toContain('dyeline_untrusted_tag_drops_total{field="shadow"} 1');
  });
});
