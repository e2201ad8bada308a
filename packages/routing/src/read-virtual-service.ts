import { GRPC_STATUS_CODES, grpcCodeOfHttpStatus, httpStatusOfGrpcCode } from './status-mapping.js';
import { RE2JS } from 're2js';
import type { SpecReader } from './spec-reader.js';
import type {
  DestinationSpec,
  FaultSpec,
  HeaderMatchSpec,
  HeaderOpsSpec,
  HttpMatchSpec,
  HttpRouteSpec,
  MirrorSpec,
  RetriesSpec,
  StringMatchSpec,
  VirtualServiceSpec,
} from './rule-spec.js';

type Obj = Record<string, unknown>;

/** Istio's retry default when a route says nothing. */
export const DEFAULT_RETRY_ON: readonly string[] = Object.freeze(['connect-failure', 'refused-stream', 'unavailable', 'cancelled']);
const DEFAULT_RETRIES: RetriesSpec = Object.freeze({ attempts: 2, retryOn: DEFAULT_RETRY_ON });

function stringMatch(r: SpecReader, value: unknown, path: string): StringMatchSpec {
  const obj = r.object(value, path);
  const kinds = ['exact', 'prefix', 'regex'].filter((k) => obj[k] !== undefined);
  r.unknownKeys(obj, path, ['exact', 'prefix', 'regex']);
  if (kinds.length !== 1) r.fail(path, 'must have exactly one of exact, prefix, regex');
  const kind = kinds[0] as 'exact' | 'prefix' | 'regex';
  const text = r.text(obj[kind], `${path}.${kind}`);
  if (kind === 'regex') {
    try {
      RE2JS.compile(text);
    } catch (error) {
      r.fail(`${path}.regex`, `is not valid RE2 syntax: ${(error as Error).message}`);
    }
  }
  return kind === 'exact' ? { exact: text } : kind === 'prefix' ? { prefix: text } : { regex: text };
}

function headerMap(r: SpecReader, value: unknown, path: string): Record<string, HeaderMatchSpec> {
  const out: Record<string, HeaderMatchSpec> = {};
  const obj = r.optionalObject(value, path);
  if (obj === undefined) return out;
  for (const [name, cond] of Object.entries(obj)) {
    const where = `${path}.${name}`;
    // `{}` (or a bare key) means "present", as in Istio.
    const isEmpty = cond === null || (typeof cond === 'object' && !Array.isArray(cond) && Object.keys(cond).length === 0);
    out[name.toLowerCase()] = isEmpty ? { present: true } : stringMatch(r, cond, where);
  }
  return out;
}

function readMatch(r: SpecReader, value: unknown, path: string): HttpMatchSpec {
  const m = r.object(value, path);
  r.unknownKeys(m, path, ['name', 'uri', 'method', 'authority', 'scheme', 'headers', 'withoutHeaders', 'queryParams', 'ignoreUriCase'], {
    sourceLabels: 'not supported in-process (the caller is this process); ignored',
    gateways: 'not supported in-process; ignored',
    port: 'not supported in-process; ignored',
    sourceNamespace: 'not supported in-process; ignored',
  });
  return {
    name: r.optionalString(m.name, `${path}.name`),
    uri: m.uri === undefined ? undefined : stringMatch(r, m.uri, `${path}.uri`),
    method: m.method === undefined ? undefined : stringMatch(r, m.method, `${path}.method`),
    authority: m.authority === undefined ? undefined : stringMatch(r, m.authority, `${path}.authority`),
    scheme: m.scheme === undefined ? undefined : stringMatch(r, m.scheme, `${path}.scheme`),
    ignoreUriCase: m.ignoreUriCase === undefined ? false : r.boolean(m.ignoreUriCase, `${path}.ignoreUriCase`),
    headers: headerMap(r, m.headers, `${path}.headers`),
    withoutHeaders: headerMap(r, m.withoutHeaders, `${path}.withoutHeaders`),
    queryParams: headerMap(r, m.queryParams, `${path}.queryParams`),
  };
}

function readDestination(r: SpecReader, value: unknown, path: string, single: boolean): DestinationSpec {
  const d = r.object(value, path);
  r.unknownKeys(d, path, ['destination', 'weight'], { headers: 'per-destination header edits are not supported; ignored' });
  const dest = r.object(d.destination, `${path}.destination`);
  r.unknownKeys(dest, `${path}.destination`, ['host', 'subset'], {
    port: 'ignored in-process: the instance address carries the port',
  });
  const weight = d.weight === undefined ? (single ? 100 : 0) : r.integer(d.weight, `${path}.weight`, 0, 100);
  return {
    host: r.string(dest.host, `${path}.destination.host`),
    subset: r.optionalString(dest.subset, `${path}.destination.subset`),
    weight,
  };
}

function readFault(r: SpecReader, value: unknown, path: string): FaultSpec | undefined {
  const f = r.optionalObject(value, path);
  if (f === undefined) return undefined;
  r.unknownKeys(f, path, ['delay', 'abort']);
  let delay: FaultSpec['delay'];
  let abort: FaultSpec['abort'];
  const d = r.optionalObject(f.delay, `${path}.delay`);
  if (d !== undefined) {
    r.unknownKeys(d, `${path}.delay`, ['fixedDelay', 'percentage', 'percent'], { exponentialDelay: 'not supported; ignored' });
    if (d.fixedDelay === undefined) r.fail(`${path}.delay.fixedDelay`, 'is required');
    delay = { fixedDelayMs: r.duration(d.fixedDelay, `${path}.delay.fixedDelay`), percent: r.percentage(d, `${path}.delay`, 0) };
  }
  const a = r.optionalObject(f.abort, `${path}.abort`);
  if (a !== undefined) {
    r.unknownKeys(a, `${path}.abort`, ['httpStatus', 'grpcStatus', 'percentage', 'percent'], { http2Error: 'not supported; ignored' });
    // Istio takes exactly one; each protocol's client reads its own, the other mapped as gRPC and Envoy map them.
    if ((a.httpStatus === undefined) === (a.grpcStatus === undefined)) r.fail(`${path}.abort`, 'needs exactly one of httpStatus and grpcStatus');
    const percent = r.percentage(a, `${path}.abort`, 0);
    if (a.httpStatus !== undefined) {
      const httpStatus = r.integer(a.httpStatus, `${path}.abort.httpStatus`, 200, 599);
      abort = { httpStatus, grpcCode: grpcCodeOfHttpStatus(httpStatus), percent };
    } else {
      const name = r.string(a.grpcStatus, `${path}.abort.grpcStatus`);
      const upper = name.toUpperCase();
      const grpcCode = Object.hasOwn(GRPC_STATUS_CODES, upper) ? GRPC_STATUS_CODES[upper] : undefined;
      if (grpcCode === undefined || grpcCode === 0) r.fail(`${path}.abort.grpcStatus`, `must name a gRPC error status such as UNAVAILABLE (got "${name}")`);
      abort = { httpStatus: httpStatusOfGrpcCode(grpcCode), grpcCode, percent };
    }
  }
  return { delay, abort };
}

function readRetries(r: SpecReader, value: unknown, path: string): RetriesSpec {
  const o = r.optionalObject(value, path);
  if (o === undefined) return DEFAULT_RETRIES;
  r.unknownKeys(o, path, ['attempts', 'perTryTimeout', 'retryOn'], {
    retryRemoteLocalities: 'localities do not exist in-process; ignored',
  });
  const retryOn =
    o.retryOn === undefined
      ? DEFAULT_RETRY_ON
      : r
          .string(o.retryOn, `${path}.retryOn`)
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  return {
    attempts: o.attempts === undefined ? 2 : r.integer(o.attempts, `${path}.attempts`, 0, 1000),
    perTryTimeoutMs: r.optionalDuration(o.perTryTimeout, `${path}.perTryTimeout`),
    retryOn: Object.freeze(retryOn),
  };
}

function readMirrorTarget(r: SpecReader, value: unknown, path: string): { host: string; subset?: string | undefined } {
  const m = r.object(value, path);
  r.unknownKeys(m, path, ['host', 'subset'], { port: 'ignored in-process: the instance address carries the port' });
  return { host: r.string(m.host, `${path}.host`), subset: r.optionalString(m.subset, `${path}.subset`) };
}

function readMirrors(r: SpecReader, h: Obj, path: string): MirrorSpec[] {
  const out: MirrorSpec[] = [];
  if (h.mirror !== undefined && h.mirror !== null) {
    out.push({ ...readMirrorTarget(r, h.mirror, `${path}.mirror`), percent: r.percentage({ percentage: h.mirrorPercentage, percent: h.mirrorPercent }, path, 100) });
  }
  r.array(h.mirrors, `${path}.mirrors`).forEach((entry, i) => {
    const where = `${path}.mirrors[${i}]`;
    const m = r.object(entry, where);
    r.unknownKeys(m, where, ['destination', 'percentage']);
    out.push({ ...readMirrorTarget(r, m.destination, `${where}.destination`), percent: r.percentage(m, where, 100) });
  });
  return out;
}

function readHeaderOps(r: SpecReader, value: unknown, path: string): HeaderOpsSpec | undefined {
  const o = r.optionalObject(value, path);
  if (o === undefined) return undefined;
  r.unknownKeys(o, path, ['request'], { response: 'response header edits are not applied by the outbound client; ignored' });
  const req = r.optionalObject(o.request, `${path}.request`);
  if (req === undefined) return undefined;
  r.unknownKeys(req, `${path}.request`, ['set', 'add', 'remove']);
  return {
    set: r.stringMap(req.set, `${path}.request.set`),
    add: r.stringMap(req.add, `${path}.request.add`),
    remove: r.array(req.remove, `${path}.request.remove`).map((v, i) => r.string(v, `${path}.request.remove[${i}]`).toLowerCase()),
  };
}

function readRoute(r: SpecReader, value: unknown, path: string): HttpRouteSpec {
  const h = r.object(value, path);
  r.unknownKeys(h, path, ['name', 'match', 'route', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercentage', 'mirrorPercent', 'mirrors', 'headers'], {
    rewrite: 'rewrites are not supported by the outbound client; ignored',
    redirect: 'redirects are not supported in-process; ignored',
    directResponse: 'not supported in-process; ignored',
    delegate: 'delegation is not supported; ignored',
    corsPolicy: 'a browser concern, not applied to outbound calls; ignored',
  });
  const routes = r.array(h.route, `${path}.route`);
  if (routes.length === 0) r.fail(`${path}.route`, 'must list at least one destination');
  const route = routes.map((d, i) => readDestination(r, d, `${path}.route[${i}]`, routes.length === 1));
  if (route.reduce((sum, d) => sum + d.weight, 0) === 0) r.fail(`${path}.route`, 'weights sum to 0: no destination can be chosen');
  return {
    name: r.optionalString(h.name, `${path}.name`),
    match: r.array(h.match, `${path}.match`).map((m, i) => readMatch(r, m, `${path}.match[${i}]`)),
    route,
    timeoutMs: r.optionalDuration(h.timeout, `${path}.timeout`),
    retries: readRetries(r, h.retries, `${path}.retries`),
    fault: readFault(r, h.fault, `${path}.fault`),
    mirrors: readMirrors(r, h, path),
    requestHeaders: readHeaderOps(r, h.headers, `${path}.headers`),
  };
}

/** Validates one VirtualService document. @internal */
export function readVirtualService(r: SpecReader, doc: Obj, name: string, namespace: string | undefined): VirtualServiceSpec {
  const spec = r.object(doc.spec, 'spec');
  r.unknownKeys(spec, 'spec', ['hosts', 'http', 'gateways'], {
    exportTo: 'visibility between namespaces does not apply in-process; ignored',
    tcp: 'TCP routes are not supported; ignored',
    tls: 'TLS routes are not supported; ignored',
  });
  const gateways = r.array(spec.gateways, 'spec.gateways');
  if (gateways.some((g) => g !== 'mesh')) r.warn('spec.gateways', 'gateways other than "mesh" do not apply in-process; routes are used for outbound calls');
  const hosts = r.array(spec.hosts, 'spec.hosts').map((h, i) => r.string(h, `spec.hosts[${i}]`));
  if (hosts.length === 0) r.fail('spec.hosts', 'must list at least one host');
  hosts.forEach((h, i) => {
    if (h.includes('*')) r.warn(`spec.hosts[${i}]`, 'wildcard hosts are not supported; matched literally');
  });
  return {
    kind: 'VirtualService',
    name,
    namespace,
    hosts,
    http: r.array(spec.http, 'spec.http').map((h, i) => readRoute(r, h, `spec.http[${i}]`)),
    source: r.location(''),
  };
}
