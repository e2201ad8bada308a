/**
 * Routing benchmark: one decision with 20 rules and 50 instances (target
 * < 2 µs median), then a gateway hop with vs without routing (target ≥ 0.9).
 * Run: `pnpm bench --suite routing [--hop-seconds 3] [--rounds 3]`.
 * Writes bench/results/routing.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createTag, runWithTag } from '@dyeline/core';
import { createRouter } from '@dyeline/routing';
import type { Instance, RouteRequest } from '@dyeline/routing';
import { routedFetch } from '@dyeline/http';
import { median } from './lib/stats.js';
import { numberArg } from './lib/args.js';

const RULES = 20;
const INSTANCES = 50;

function rules(): string {
  const docs = [
    `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }`,
  ];
  const http: string[] = [];
  for (let i = 0; i < RULES - 1; i++) {
    // A mix of exact, prefix and RE2 regex conditions that the request does not meet.
    const cond = i % 3 === 0 ? `{ exact: user-${i} }` : i % 3 === 1 ? `{ prefix: team-${i}- }` : `{ regex: "group-${i}-[0-9]+" }`;
    http.push(`  - match:\n    - headers: { x-user: ${cond} }\n      uri: { prefix: /api/${i} }\n    route:\n    - destination: { host: greeter, subset: v2 }`);
  }
  http.push('  - route:\n    - destination: { host: greeter, subset: v1 }\n      weight: 90\n    - destination: { host: greeter, subset: v2 }\n      weight: 10');
  docs.push(`apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
${http.join('\n')}`);
  return docs.join('\n---\n');
}

const instances: Instance[] = [];
for (let i = 0; i < INSTANCES; i++) {
  const labels: Record<string, string> = { version: i % 2 === 0 ? 'v1' : 'v2' };
  if (i % 10 === 9) labels.color = `feature-${i}`;
  instances.push({ service: 'greeter', address: `10.0.0.${i}:8080`, labels });
}

const router = createRouter({ instances, rules: rules() });
const request: RouteRequest = {
  host: 'greeter',
  path: '/hello',
  method: 'GET',
  headers: { accept: '*/*', 'x-request-id': 'abc', 'content-type': 'application/json', 'x-user': 'alice' },
};
const tags = [createTag({ user: 'alice' }), createTag({ user: 'bob', color: 'feature-9' }), createTag({})];

function measure(tag: (typeof tags)[number], n: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) router.decide(request, tag);
  return Number(process.hrtime.bigint() - start) / n;
}

for (const tag of tags) measure(tag, 20_000); // warm-up
const runs: Record<string, number[]> = { sticky: [], colored: [], random: [] };
const names = Object.keys(runs);
for (let round = 0; round < 15; round++) {
  // Interleaved so a slow moment hits every case alike.
  tags.forEach((tag, i) => runs[names[i] as string]?.push(measure(tag, 20_000)));
}
const decision = {
  rules: RULES,
  instances: INSTANCES,
  medianNs: Object.fromEntries(names.map((n) => [n, Math.round(median(runs[n] as number[]))])),
  targetNs: 2000,
};
console.table(decision.medianNs);

// A gateway hop: a server that calls a backend per request, by address or by logical host.
async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return (server.address() as AddressInfo).port;
}
const backendPort = await listen((_req, res) => res.end('ok'));
const hopRouter = createRouter({
  instances: [{ service: 'backend', address: `127.0.0.1:${backendPort}`, labels: { version: 'v1' } }],
  rules: `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: backend }
spec:
  hosts: [backend]
  http:
  - match: [{ headers: { x-user: { exact: admin } } }]
    route: [{ destination: { host: backend } }]
  - route: [{ destination: { host: backend } }]
`,
});
const routed = routedFetch({ router: hopRouter });
const gateway = (send: (tag: ReturnType<typeof createTag>) => Promise<Response>) =>
  listen((req, res) => {
    const tag = createTag({ user: req.headers['x-user'] as string | undefined });
    void runWithTag(tag, async () => {
      const r = await send(tag);
      res.end(await r.text());
    });
  });
const plainPort = await gateway(() => fetch(`http://127.0.0.1:${backendPort}/`));
const routedPort = await gateway(() => routed('http://backend/'));
const seconds = numberArg('hop-seconds', 3);
const rounds = numberArg('rounds', 3);
const rps: Record<string, number[]> = { plain: [], routed: [] };
for (let round = 0; round < rounds; round++) {
  for (const [name, port] of [['plain', plainPort], ['routed', routedPort]] as const) {
    const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections: 20, duration: seconds, headers: { 'x-user': 'bob' } });
    rps[name]?.push(r.requests.average);
  }
}
const hop = {
  seconds,
  rounds,
  medianRps: { plain: Math.round(median(rps.plain as number[])), routed: Math.round(median(rps.routed as number[])) },
  ratio: Number((median(rps.routed as number[]) / median(rps.plain as number[])).toFixed(3)),
  target: 0.9,
};
console.table(hop.medianRps);
console.log(`gateway hop routed/plain: ${hop.ratio}`);
const result = { benchmark: 'routing', node: process.version, decision, gatewayHop: hop };
console.log(JSON.stringify(result));
const out = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}routing.json`, `${JSON.stringify(result, null, 2)}\n`);
