// gRPC all the way: a load generator calls an edge greeter over gRPC with
// tag metadata (dyeline's own keys and Dubbo's `dubbo.tag`); the edge
// forwards SayHello through a routedGrpcClient to the greeter instance the
// tag chooses (v1, v2, or the feature-42 lane), and every reply names the
// serving version and the tag the last hop saw.
import * as grpc from '@grpc/grpc-js';
import { isDeepStrictEqual } from 'node:util';
import { routedGrpcClient } from '@dyeline/grpc';
import { createRouter } from '@dyeline/routing';
import type { Instance } from '@dyeline/routing';
import { greeterClient, sayHello, startGrpcGreeter } from '../grpc-greeter.js';
import type { GreeterClient, GrpcGreeter, SeenTag } from '../grpc-greeter.js';
import type { DemoRow, DemoStep } from './types.js';

const RULES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - match: [{ headers: { end-user: { exact: admin } } }]
    route: [{ destination: { host: greeter, subset: v2 } }]
  - route: [{ destination: { host: greeter, subset: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;

interface GrpcClass {
  name: string;
  metadata: Readonly<Record<string, string>>;
  expectedVersions: readonly string[];
  expectedTag: Record<string, unknown>;
}

const classes: readonly GrpcClass[] = [
  { name: 'grpc plain', metadata: {}, expectedVersions: ['v1'], expectedTag: {} },
  { name: 'grpc x-user: admin', metadata: { 'x-user': 'admin' }, expectedVersions: ['v2'], expectedTag: { user: 'admin' } },
  { name: 'grpc dubbo.tag: feature-42', metadata: { 'dubbo.tag': 'feature-42' }, expectedVersions: ['v1-feature-42'], expectedTag: { color: 'feature-42' } },
  // No blue lane: the base instance serves, and the color still reaches the last hop.
  { name: 'grpc x-color: blue', metadata: { 'x-color': 'blue' }, expectedVersions: ['v1'], expectedTag: { color: 'blue' } },
  { name: 'grpc x-shadow: 1', metadata: { 'x-shadow': '1' }, expectedVersions: ['v1'], expectedTag: { shadow: true } },
];

const PER_CLASS = 10;

/** The tag a hop saw, in `Tag.toJSON()` form. */
function asJson(seen: SeenTag | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (seen?.color) out.color = seen.color;
  if (seen?.user) out.user = seen.user;
  if (seen?.shadow) out.shadow = true;
  return out;
}

async function run(): Promise<DemoRow[]> {
  const started: GrpcGreeter[] = [];
  let routed: GreeterClient | undefined;
  let caller: GreeterClient | undefined;
  try {
    const instances: Instance[] = [];
    for (const [version, labels] of [['v1', { version: 'v1' }], ['v2', { version: 'v2' }], ['v1-feature-42', { version: 'v1', color: 'feature-42' }]] as const) {
      const greeter = await startGrpcGreeter({ version });
      started.push(greeter);
      instances.push({ service: 'greeter', address: `127.0.0.1:${greeter.port}`, labels });
    }
    routed = routedGrpcClient({ router: createRouter({ rules: RULES, instances }), host: 'greeter', create: (address) => greeterClient(address) });
    const edge = await startGrpcGreeter({ version: 'edge', downstream: routed });
    started.push(edge);
    caller = greeterClient(`127.0.0.1:${edge.port}`);
    const client = caller;

    const rows: DemoRow[] = [];
    // Every class at once: concurrent calls with different tags share every hop.
    await Promise.all(
      classes.map(async (each) => {
        const answered: Record<string, number> = {};
        let tagOk = 0;
        let failures = 0;
        await Promise.all(
          Array.from({ length: PER_CLASS }, async () => {
            const metadata = new grpc.Metadata();
            for (const [key, value] of Object.entries(each.metadata)) metadata.set(key, value);
            try {
              const reply = await sayHello(client, { name: 'demo' }, metadata);
              const last = reply.downstream;
              const version = last?.version ?? '?';
              answered[version] = (answered[version] ?? 0) + 1;
              if (isDeepStrictEqual(asJson(last?.tag), each.expectedTag)) tagOk++;
            } catch {
              failures++;
            }
          }),
        );
        const versionsOk = Object.keys(answered).every((version) => each.expectedVersions.includes(version));
        rows.push({
          step: 'grpc',
          name: each.name,
          requests: PER_CLASS,
          answered,
          expectedVersions: each.expectedVersions,
          expectedTag: each.expectedTag,
          tagOk,
          note: failures === 0 ? 'edge → routed gRPC → last hop' : `${failures} failed`,
          ok: failures === 0 && versionsOk && tagOk === PER_CLASS,
        });
      }),
    );
    return classes.map((each) => rows.find((row) => row.name === each.name) as DemoRow);
  } finally {
    caller?.close();
    routed?.close();
    await Promise.all(started.map((greeter) => greeter.close()));
  }
}

/** gRPC traffic through a routed gRPC hop: the tag reaches the last hop, SayHello names the serving version. */
export const grpcTrafficStep: DemoStep = {
  name: 'grpc',
  run: () => run(),
};
