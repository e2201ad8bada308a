import type { SpecReader } from './spec-reader.js';
import type { DestinationRuleSpec, LoadBalancerSpec, OutlierDetectionSpec, SubsetSpec, TrafficPolicySpec } from './rule-spec.js';

type Obj = Record<string, unknown>;

const SIMPLE = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'PASSTHROUGH', 'UNSPECIFIED', 'LEAST_CONN'] as const;

function readLoadBalancer(r: SpecReader, value: unknown, path: string): LoadBalancerSpec | undefined {
  const lb = r.optionalObject(value, path);
  if (lb === undefined) return undefined;
  r.unknownKeys(lb, path, ['simple', 'consistentHash'], {
    localityLbSetting: 'localities do not exist in-process; ignored',
    warmupDurationSecs: 'slow start is not supported; ignored',
  });
  if (lb.simple !== undefined) {
    const simple = r.string(lb.simple, `${path}.simple`);
    if (!(SIMPLE as readonly string[]).includes(simple)) r.fail(`${path}.simple`, `must be one of ${SIMPLE.join(', ')}`);
    // LEAST_CONN is Istio's deprecated alias of LEAST_REQUEST.
    return { simple: (simple === 'LEAST_CONN' ? 'LEAST_REQUEST' : simple) as 'ROUND_ROBIN' };
  }
  if (lb.consistentHash !== undefined) {
    const where = `${path}.consistentHash`;
    const ch = r.object(lb.consistentHash, where);
    r.unknownKeys(ch, where, ['httpHeaderName', 'httpCookie', 'httpQueryParameterName'], {
      useSourceIp: 'the source is this process; ignored',
      ringHash: 'dyeline uses rendezvous hashing; ring parameters ignored',
      maglev: 'dyeline uses rendezvous hashing; maglev parameters ignored',
      minimumRingSize: 'dyeline uses rendezvous hashing; ignored',
    });
    if (ch.httpHeaderName !== undefined) return { consistentHash: { httpHeaderName: r.string(ch.httpHeaderName, `${where}.httpHeaderName`).toLowerCase() } };
    if (ch.httpQueryParameterName !== undefined) {
      return { consistentHash: { httpQueryParameterName: r.string(ch.httpQueryParameterName, `${where}.httpQueryParameterName`) } };
    }
    if (ch.httpCookie !== undefined) {
      const cookie = r.object(ch.httpCookie, `${where}.httpCookie`);
      r.unknownKeys(cookie, `${where}.httpCookie`, ['name'], {
        ttl: 'dyeline does not set cookies; ignored',
        path: 'dyeline does not set cookies; ignored',
        attributes: 'dyeline does not set cookies; ignored',
      });
      return { consistentHash: { httpCookie: r.string(cookie.name, `${where}.httpCookie.name`) } };
    }
    r.fail(where, 'needs httpHeaderName, httpCookie or httpQueryParameterName');
  }
  return undefined;
}

function readOutlierDetection(r: SpecReader, value: unknown, path: string): OutlierDetectionSpec | undefined {
  const o = r.optionalObject(value, path);
  if (o === undefined) return undefined;
  r.unknownKeys(o, path, ['consecutive5xxErrors', 'consecutiveErrors', 'consecutiveGatewayErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent', 'minHealthPercent'], {
    splitExternalLocalOriginErrors: 'not supported; ignored',
    consecutiveLocalOriginFailures: 'not supported; ignored',
  });
  const errors = o.consecutive5xxErrors ?? o.consecutiveErrors;
  return {
    consecutive5xxErrors: errors === undefined ? 5 : r.integer(errors, `${path}.consecutive5xxErrors`, 0, 1_000_000),
    consecutiveGatewayErrors:
      o.consecutiveGatewayErrors === undefined ? undefined : r.integer(o.consecutiveGatewayErrors, `${path}.consecutiveGatewayErrors`, 0, 1_000_000),
    intervalMs: r.optionalDuration(o.interval, `${path}.interval`) ?? 10_000,
    baseEjectionTimeMs: r.optionalDuration(o.baseEjectionTime, `${path}.baseEjectionTime`) ?? 30_000,
    maxEjectionPercent: o.maxEjectionPercent === undefined ? 10 : r.integer(o.maxEjectionPercent, `${path}.maxEjectionPercent`, 0, 100),
    minHealthPercent: o.minHealthPercent === undefined ? 0 : r.integer(o.minHealthPercent, `${path}.minHealthPercent`, 0, 100),
  };
}

function readTrafficPolicy(r: SpecReader, value: unknown, path: string): TrafficPolicySpec | undefined {
  const tp = r.optionalObject(value, path);
  if (tp === undefined) return undefined;
  r.unknownKeys(tp, path, ['loadBalancer', 'outlierDetection'], {
    connectionPool: 'connection pools belong to the HTTP client; ignored',
    tls: 'TLS settings belong to the HTTP client; ignored',
    portLevelSettings: 'not supported; ignored',
    tunnel: 'not supported; ignored',
    proxyProtocol: 'not supported; ignored',
  });
  return { loadBalancer: readLoadBalancer(r, tp.loadBalancer, `${path}.loadBalancer`), outlierDetection: readOutlierDetection(r, tp.outlierDetection, `${path}.outlierDetection`) };
}

function readSubset(r: SpecReader, value: unknown, path: string): SubsetSpec {
  const s = r.object(value, path);
  r.unknownKeys(s, path, ['name', 'labels', 'trafficPolicy']);
  return {
    name: r.string(s.name, `${path}.name`),
    labels: r.stringMap(s.labels, `${path}.labels`),
    trafficPolicy: readTrafficPolicy(r, s.trafficPolicy, `${path}.trafficPolicy`),
  };
}

/** Validates one DestinationRule document. @internal */
export function readDestinationRule(r: SpecReader, doc: Obj, name: string, namespace: string | undefined): DestinationRuleSpec {
  const spec = r.object(doc.spec, 'spec');
  r.unknownKeys(spec, 'spec', ['host', 'trafficPolicy', 'subsets'], {
    exportTo: 'visibility between namespaces does not apply in-process; ignored',
    workloadSelector: 'applies to every caller in-process; ignored',
  });
  const subsets = r.array(spec.subsets, 'spec.subsets').map((s, i) => readSubset(r, s, `spec.subsets[${i}]`));
  const seen = new Set<string>();
  subsets.forEach((s, i) => {
    if (seen.has(s.name)) r.fail(`spec.subsets[${i}].name`, `duplicate subset "${s.name}"`);
    seen.add(s.name);
  });
  return {
    kind: 'DestinationRule',
    name,
    namespace,
    host: r.string(spec.host, 'spec.host'),
    trafficPolicy: readTrafficPolicy(r, spec.trafficPolicy, 'spec.trafficPolicy'),
    subsets,
    source: r.location(''),
  };
}
