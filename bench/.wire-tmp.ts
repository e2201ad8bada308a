import * as grpc from '@grpc/grpc-js';
import { InterceptingCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
const pkg = grpc.loadPackageDefinition(loadSync('/work/main/examples/proto/greeter.proto', { defaults: true })) as any;
const Greeter = pkg.dyeline.greeter.Greeter;
const server = new grpc.Server();
server.addService(Greeter.service, { sayHello(call: any, cb: any) { cb(null, { message: 'x', version: 'v1' }); } });
const port = await new Promise<number>((r, j) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? j(e) : r(p))));
const set2 = (m: grpc.Metadata) => { m.set('x-color', 'feature-42'); m.set('x-user', 'alice'); };
const variants: Record<string, { opts: grpc.ClientOptions; md?: boolean }> = {
  bare: { opts: {} },
  emptyInterceptor: { opts: { interceptors: [(o, next) => new InterceptingCall(next(o))] } },
  interceptor2: { opts: { interceptors: [(o, next) => new InterceptingCall(next(o), { start(m, l, n) { set2(m); n(m, l); } })] } },
  transformer2: { opts: { callInvocationTransformer: (p: any) => { set2(p.metadata); return p; } } as any },
  hand2: { opts: {}, md: true },
};
const clients = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), v.opts)]));
async function measure(name: string, ms: number) {
  const client = clients[name]; const hand = variants[name]!.md === true;
  let done = 0; const cpu = process.cpuUsage(); const until = performance.now() + ms;
  await Promise.all(Array.from({ length: 64 }, async () => { while (performance.now() < until) { await new Promise<void>((res, rej) => { const md = new grpc.Metadata(); if (hand) set2(md); client.sayHello({ name: 'b' }, md, {}, (e: any) => (e ? rej(e) : res())); }); done++; } }));
  const u = process.cpuUsage(cpu); return (u.user + u.system) / done;
}
const names = Object.keys(variants); const res: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (const n of names) await measure(n, 300);
const rounds = Number(process.argv[2] ?? 5);
for (let r = 0; r < rounds; r++) for (let k = 0; k < names.length; k++) { const n = names[(r + k) % names.length]!; res[n]!.push(await measure(n, 800)); }
const med = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]!; };
for (const n of names) console.log(n.padEnd(20), med(res[n]!).toFixed(1), 'us/call', (med(res[n]!) - med(res.bare!)).toFixed(1));
for (const c of Object.values(clients)) c.close(); server.forceShutdown();
