// The seed's routing walkthrough, run locally: the Istio YAML in
// examples/istio/ (unchanged) is applied to a live router one file after the
// other — everything to v1; `user: admin` to v2; 90/10 — and traffic sent
// through a gateway that calls `http://helloworld/hello` with routedFetch.
// Then the lane scenario: a feature-42 branch deployed only cart and payment,
// so a feature-42 checkout stays in its lane where it can, takes the base
// stock, and is back in the lane at payment.
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { createTag } from '@dyeline/core';
import { createRouter, loadRuleFile, mergeRuleSets } from '@dyeline/routing';
import type { Instance, Router } from '@dyeline/routing';
import type { RunningService } from '../listen.js';
import { edgeIngressOptions } from '../mesh-options.js';
import { hopName, startChainHop, startHelloworld, startRoutingGateway } from '../routing-services.js';
import type { ChainReply, HelloReply } from '../routing-services.js';
import type { DemoStack } from './stack.js';
import type { DemoRow, DemoStep } from './types.js';

const SEEDS = fileURLToPath(new URL('../istio/', import.meta.url));
const PER_CLASS = 40;
const SPLIT_USERS = 1000;
const LANE_REQUESTS = 10;
const CONCURRENCY = 8;

/** `kubectl apply` of one seed VirtualService file, next to the seed's DestinationRules. */
function apply(router: Router, file: string): void {
  router.update(mergeRuleSets(loadRuleFile(`${SEEDS}destination-rules.yaml`), loadRuleFile(`${SEEDS}${file}.yaml`)));
}

/** Sends every request, `CONCURRENCY` in flight; a failed one is `undefined`. */
async function sendAll<T>(url: string, requests: readonly Record<string, string>[]): Promise<(T | undefined)[]> {
  const out: (T | undefined)[] = new Array<T | undefined>(requests.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const i = next++;
      try {
        const answer = await fetch(url, { headers: requests[i] });
        out[i] = answer.ok ? ((await answer.json()) as T) : undefined;
        if (!answer.ok) await answer.body?.cancel();
      } catch {
        out[i] = undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return out;
}

function tally(keys: readonly (string | undefined)[]): Record<string, number> {
  const answered: Record<string, number> = {};
  for (const key of keys) if (key !== undefined) answered[key] = (answered[key] ?? 0) + 1;
  return answered;
}

/** Why the router sends `tag` where it does, in one line (from `router.explain`). */
function why(router: Router, host: string, tag = createTag()): string {
  const e = router.explain({ host }, tag);
  const route = e.routes.at(-1);
  const routeName = route === undefined ? 'no VirtualService' : `${e.virtualService ?? '?'} route ${route.name ?? `#${route.index}`}`;
  const split = e.destinations.length > 1 ? ` of ${e.destinations.map((d) => `${d.subset ?? '*'} ${Math.round(d.share * 100)}%`).join(' / ')}` : '';
  return `explain: ${routeName} → ${e.decision?.subset ?? e.decision?.instance.address ?? 'none'} (${e.choice}${split})`;
}

/** A binomial count within 5σ of its expectation: a real skew fails, chance (p ≈ 6e-7) does not. */
function within5Sigma(count: number, n: number, p: number): { ok: boolean; text: string } {
  const bound = 5 * Math.sqrt(n * p * (1 - p));
  const ok = Math.abs(count - n * p) <= bound;
  return { ok, text: `${((100 * count) / n).toFixed(1)}% (expect ${p * 100}% ± ${((100 * bound) / n).toFixed(1)}%, 5σ of ${n})` };
}

interface HelloClass {
  name: string;
  headers: Record<string, string>;
  expectedVersions: readonly string[];
  expectedTag: Record<string, unknown>;
  note: string;
}

/** Sends `PER_CLASS` requests of one class to `/hello`: only `expectedVersions` may answer, helloworld must see `expectedTag`. */
async function helloRow(gatewayUrl: string, each: HelloClass): Promise<DemoRow> {
  const replies = await sendAll<HelloReply>(`${gatewayUrl}/hello`, Array.from({ length: PER_CLASS }, () => each.headers));
  const answered = tally(replies.map((r) => r?.version));
  const tagOk = replies.filter((r) => r !== undefined && isDeepStrictEqual(r.tag, each.expectedTag)).length;
  const failed = replies.filter((r) => r === undefined).length;
  const versionsOk = Object.keys(answered).every((v) => each.expectedVersions.includes(v));
  const note = failed === 0 ? each.note : `${failed} failed; ${each.note}`;
  return { step: 'routing', name: each.name, requests: PER_CLASS, answered, expectedVersions: each.expectedVersions, expectedTag: each.expectedTag, tagOk, note, ok: failed === 0 && versionsOk && tagOk === PER_CLASS };
}

/** 90/10 over `SPLIT_USERS` users (sticky), over as many anonymous requests (random), then the same users again. */
async function splitRows(gatewayUrl: string, router: Router): Promise<DemoRow[]> {
  const users = Array.from({ length: SPLIT_USERS }, (_, i) => `u-${i}`);
  const keyed = await sendAll<HelloReply>(`${gatewayUrl}/hello`, users.map((user) => ({ user })));
  const anonymous = await sendAll<HelloReply>(`${gatewayUrl}/hello`, users.map(() => ({})));
  const rows: DemoRow[] = [];
  for (const [name, replies, expectedTag, tagOf] of [
    [`90/10: ${SPLIT_USERS} users, sticky by user`, keyed, { user: 'u-<n>' }, (i: number) => ({ user: users[i] })],
    [`90/10: ${SPLIT_USERS} anonymous, random`, anonymous, {}, () => ({})],
  ] as const) {
    const answered = tally(replies.map((r) => r?.version));
    const failed = replies.filter((r) => r === undefined).length;
    const share = within5Sigma(answered.v2 ?? 0, SPLIT_USERS, 0.1);
    const tagOk = replies.filter((r, i) => r !== undefined && isDeepStrictEqual(r.tag, tagOf(i))).length;
    const first = name.includes('sticky') ? why(router, 'helloworld', createTag({ user: 'u-0' })) : why(router, 'helloworld');
    rows.push({ step: 'routing', name, requests: SPLIT_USERS, answered, expectedVersions: ['v1', 'v2'], expectedTag, tagOk, note: `${failed === 0 ? '' : `${failed} failed; `}v2 ${share.text}; ${first}`, ok: failed === 0 && share.ok && tagOk === SPLIT_USERS && Object.keys(answered).every((v) => v === 'v1' || v === 'v2') });
  }

  // Stickiness: two users the 90/10 run put on v2 and two it put on v1 come back 10 times each.
  const first = new Map(users.map((user, i) => [user, keyed[i]?.version]));
  const picked = [...users.filter((u) => first.get(u) === 'v2').slice(0, 2), ...users.filter((u) => first.get(u) === 'v1').slice(0, 2)];
  const again = picked.flatMap((user) => Array.from({ length: LANE_REQUESTS }, () => user));
  const replies = await sendAll<HelloReply>(`${gatewayUrl}/hello`, again.map((user) => ({ user })));
  const kept = picked.filter((user) => replies.every((r, i) => again[i] !== user || r?.version === first.get(user)));
  rows.push({
    step: 'routing',
    name: `sticky: ${picked.length} users × ${LANE_REQUESTS} again`,
    requests: again.length,
    answered: tally(replies.map((r) => r?.version)),
    expectedVersions: ['v1', 'v2'],
    expectedTag: { user: 'u-<n>' },
    tagOk: replies.filter((r, i) => r !== undefined && isDeepStrictEqual(r.tag, { user: again[i] })).length,
    note: `${kept.length}/${picked.length} users kept their version: ${picked.map((u) => `${u}→${first.get(u) ?? '?'}`).join(' ')}`,
    ok: picked.length === 4 && kept.length === picked.length && replies.every((r, i) => r !== undefined && isDeepStrictEqual(r.tag, { user: again[i] })),
  });
  return rows;
}

interface LaneClass {
  name: string;
  headers: Record<string, string>;
  path: string[];
  expectedTag: Record<string, unknown>;
  note: string;
  /** What `router.explain` said about the hops held (default true). */
  explained?: boolean;
}

async function laneRow(gatewayUrl: string, each: LaneClass): Promise<DemoRow> {
  const replies = await sendAll<ChainReply>(`${gatewayUrl}/checkout`, Array.from({ length: LANE_REQUESTS }, () => each.headers));
  const expected = each.path.join(' > ');
  const answered = tally(replies.map((r) => r?.path.join(' > ')));
  const tagOk = replies.filter((r) => r !== undefined && isDeepStrictEqual(r.tag, each.expectedTag)).length;
  return { step: 'routing', name: each.name, requests: LANE_REQUESTS, answered, expectedVersions: [expected], expectedTag: each.expectedTag, tagOk, note: each.note, ok: answered[expected] === LANE_REQUESTS && tagOk === LANE_REQUESTS && each.explained !== false };
}

/** The checkout chain, last hop first (so each hop's router knows the next one's instances). */
async function startChain(started: RunningService[]): Promise<{ cart: Instance[]; routers: Map<string, Router> }> {
  const deployed: Record<string, (string | undefined)[]> = { payment: [undefined, 'feature-42'], stock: [undefined], cart: [undefined, 'feature-42'] };
  const routers = new Map<string, Router>();
  let downstream: { service: string; instances: Instance[] } | undefined;
  for (const service of ['payment', 'stock', 'cart']) {
    const instances: Instance[] = [];
    for (const color of deployed[service] ?? []) {
      // Each instance routes with its own router; its selfColor is its deployment color.
      const router = downstream === undefined ? undefined : createRouter({ instances: downstream.instances, ...(color === undefined ? {} : { selfColor: color }) });
      if (router !== undefined) routers.set(hopName(service, color), router);
      const hop = await startChainHop({ service, ...(color === undefined ? {} : { color }), ...(downstream === undefined || router === undefined ? {} : { next: downstream.service, router }) });
      started.push(hop);
      instances.push({ service, address: `127.0.0.1:${hop.port}`, labels: color === undefined ? {} : { color } });
    }
    downstream = { service, instances };
  }
  return { cart: downstream?.instances ?? [], routers };
}

async function run(stack: DemoStack): Promise<DemoRow[]> {
  const started: RunningService[] = [];
  try {
    const instances: Instance[] = [];
    for (const version of ['v1', 'v2']) {
      const hello = await startHelloworld(version);
      started.push(hello);
      instances.push({ service: 'helloworld', address: `127.0.0.1:${hello.port}`, labels: { version } });
    }
    const chain = await startChain(started);
    const router = createRouter({ instances: [...instances, ...chain.cart] });
    const gateway = await startRoutingGateway({ router, ingress: edgeIngressOptions(stack.signingKey) });
    started.push(gateway);
    const rows: DemoRow[] = [];

    apply(router, 'virtual-service-all-v1');
    const allV1 = why(router, 'helloworld');
    rows.push(await helloRow(gateway.url, { name: 'all-v1: plain', headers: {}, expectedVersions: ['v1'], expectedTag: {}, note: `applied virtual-service-all-v1.yaml; ${allV1}` }));
    rows.push(await helloRow(gateway.url, { name: 'all-v1: user: admin', headers: { user: 'admin' }, expectedVersions: ['v1'], expectedTag: { user: 'admin' }, note: allV1 }));

    apply(router, 'virtual-service-helloworld-user-admin');
    rows.push(await helloRow(gateway.url, { name: 'user-admin: user: admin', headers: { user: 'admin' }, expectedVersions: ['v2'], expectedTag: { user: 'admin' }, note: `applied virtual-service-helloworld-user-admin.yaml; ${why(router, 'helloworld', createTag({ user: 'admin' }))}` }));
    rows.push(await helloRow(gateway.url, { name: 'user-admin: user: bob', headers: { user: 'bob' }, expectedVersions: ['v1'], expectedTag: { user: 'bob' }, note: why(router, 'helloworld', createTag({ user: 'bob' })) }));

    apply(router, 'virtual-service-helloworld-90-10');
    rows.push(...(await splitRows(gateway.url, router)));

    const stockFellBack = chain.routers.get('cart@feature-42')?.explain({ host: 'stock' }, createTag({ color: 'feature-42' })).decision?.fellBack === true;
    const backInLane = chain.routers.get('stock')?.explain({ host: 'payment' }, createTag({ color: 'feature-42' })).decision?.instance.labels.color === 'feature-42';
    rows.push(await laneRow(gateway.url, {
      name: 'lane x-color: feature-42',
      headers: { 'x-color': 'feature-42' },
      path: ['cart@feature-42', 'stock', 'payment@feature-42'],
      expectedTag: { color: 'feature-42' },
      explained: stockFellBack && backInLane,
      note: `explain: stock ${stockFellBack ? 'has no feature-42 instance → base lane' : 'did not fall back?'}, payment ${backInLane ? 'back in the lane' : 'not in the lane?'}`,
    }));
    rows.push(await laneRow(gateway.url, { name: 'lane plain', headers: {}, path: ['cart', 'stock', 'payment'], expectedTag: {}, note: 'an uncolored request never enters a lane' }));
    rows.push(await laneRow(gateway.url, { name: 'lane x-color: feature-7', headers: { 'x-color': 'feature-7' }, path: ['cart', 'stock', 'payment'], expectedTag: { color: 'feature-7' }, note: 'no feature-7 instance anywhere: base lane on every hop, the color still travels' }));
    return rows;
  } finally {
    await Promise.all(started.map((service) => service.close()));
  }
}

/** The seed's routing walkthrough: the Istio YAML applied live, the observed split per step, and the feature-42 lane. */
export const routingWalkthroughStep: DemoStep = {
  name: 'routing',
  run: (stack) => run(stack),
};
