import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isDyelineError } from '@dyeline/core';
import type { InvalidRuleError } from './invalid-rule-error.js';
import { isInvalidRuleError } from './invalid-rule-error.js';
import { loadRuleFile, loadRules } from './load-rules.js';

const seeds = fileURLToPath(new URL('../../../examples/istio/', import.meta.url));

function vs(http: string, extra = ''): string {
  return `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: r }
spec:
  hosts: [reviews]
${extra}  http:
${http}`;
}

function thrown(fn: () => unknown): InvalidRuleError {
  try {
    fn();
  } catch (error) {
    if (isInvalidRuleError(error)) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('loadRules', () => {
  it('loads every seed file without a warning', () => {
    const files = readdirSync(seeds).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const set = loadRuleFile(seeds + file);
      expect(set.warnings, file).toEqual([]);
      expect(set.virtualServices.length + set.destinationRules.length, file).toBeGreaterThan(0);
    }
  });

  it('accepts v1alpha3, v1beta1 and v1, and JSON arrays of documents', () => {
    for (const v of ['v1alpha3', 'v1beta1', 'v1']) {
      const set = loadRules({ apiVersion: `networking.istio.io/${v}`, kind: 'DestinationRule', metadata: { name: 'd' }, spec: { host: 'reviews' } });
      expect(set.destinationRules[0]?.host).toBe('reviews');
    }
    const json = JSON.stringify([
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'a' }, spec: { host: 'a' } },
      { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'b' }, spec: { host: 'b' } },
    ]);
    expect(loadRules(json).destinationRules.map((d) => d.host)).toEqual(['a', 'b']);
  });

  it('names file, document and field path of an invalid weight', () => {
    const text = `${vs('  - route:\n    - destination: { host: reviews }\n')}---\n${vs('  - route:\n    - destination: { host: reviews, subset: v1 }\n      weight: 50\n    - destination: { host: reviews, subset: v2 }\n      weight: 150\n')}`;
    const error = thrown(() => loadRules(text, { file: 'rules.yaml' }));
    expect(error.message).toBe('rules.yaml#2: spec.http[0].route[1].weight: must be an integer 0..100');
    expect(error).toMatchObject({ file: 'rules.yaml', document: 2, path: 'spec.http[0].route[1].weight', code: 'ERR_DYELINE_INVALID_RULE' });
    expect(isDyelineError(error)).toBe(true);
  });

  it.each([
    ['a regex that is not RE2', '  - match:\n    - headers:\n        user: { regex: "(?<=a)b" }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].match[0].headers.user.regex'],
    ['a bad duration', '  - timeout: soon\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].timeout'],
    ['two kinds of string match', '  - match:\n    - uri: { exact: /a, prefix: /b }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].match[0].uri'],
    ['no destination', '  - route: []\n', 'spec.http[0].route'],
    ['all weights zero', '  - route:\n    - destination: { host: reviews, subset: v1 }\n      weight: 0\n    - destination: { host: reviews, subset: v2 }\n', 'spec.http[0].route'],
    ['a fault percentage over 100', '  - fault:\n      abort: { httpStatus: 503, percentage: { value: 101 } }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].fault.abort.percentage.value'],
    ['an abort with both statuses', '  - fault:\n      abort: { httpStatus: 503, grpcStatus: UNAVAILABLE }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].fault.abort'],
    ['an abort with no status', '  - fault:\n      abort: { percentage: { value: 5 } }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].fault.abort'],
    ['an unknown grpcStatus', '  - fault:\n      abort: { grpcStatus: BROKEN }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].fault.abort.grpcStatus'],
    ['grpcStatus OK', '  - fault:\n      abort: { grpcStatus: OK }\n    route:\n    - destination: { host: reviews }\n', 'spec.http[0].fault.abort.grpcStatus'],
  ])('rejects %s with its path', (_label, http, path) => {
    expect(thrown(() => loadRules(vs(http), { file: 'f.yaml' })).path).toBe(path);
  });

  it('rejects YAML that does not parse, naming the document', () => {
    const error = thrown(() => loadRules('kind: DestinationRule\n---\nspec: [unclosed\n', { file: 'x.yaml' }));
    expect(error.message).toMatch(/^x\.yaml#2: does not parse/);
  });

  it('reports every unsupported field with its path instead of ignoring it', () => {
    const seen: string[] = [];
    const set = loadRules(
      vs('  - corsPolicy: { allowOrigins: [] }\n    match:\n    - sourceLabels: { app: a }\n    route:\n    - destination: { host: reviews }\n', '  tcp: []\n'),
      { onWarning: (w) => seen.push(w.path) },
    );
    expect(seen).toEqual(['spec.tcp', 'spec.http[0].corsPolicy', 'spec.http[0].match[0].sourceLabels']);
    expect(set.warnings.map((w) => w.path)).toEqual(seen);
  });

  it('fills Istio defaults: retries, a missing fault percentage, mirror percentage', () => {
    const set = loadRules(vs('  - fault:\n      delay: { fixedDelay: 2s }\n    mirror: { host: reviews, subset: v3 }\n    route:\n    - destination: { host: reviews }\n'));
    const route = set.virtualServices[0]?.http[0];
    expect(route?.retries).toEqual({ attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'] });
    expect(route?.fault?.delay).toEqual({ fixedDelayMs: 2000, percent: 0 });
    expect(route?.mirrors).toEqual([{ host: 'reviews', subset: 'v3', percent: 100 }]);
    expect(route?.timeoutMs).toBeUndefined();
  });

  it('reads an abort as both protocols see it: grpcStatus by name, httpStatus mapped to a gRPC code and back', () => {
    const abortOf = (abort: string) => loadRules(vs(`  - fault:\n      abort: ${abort}\n    route:\n    - destination: { host: reviews }\n`)).virtualServices[0]?.http[0]?.fault?.abort;
    expect(abortOf('{ grpcStatus: unavailable, percentage: { value: 10 } }')).toEqual({ httpStatus: 503, grpcCode: 14, percent: 10 });
    expect(abortOf('{ grpcStatus: DEADLINE_EXCEEDED }')).toEqual({ httpStatus: 504, grpcCode: 4, percent: 0 });
    expect(abortOf('{ httpStatus: 503 }')).toEqual({ httpStatus: 503, grpcCode: 14, percent: 0 });
    expect(abortOf('{ httpStatus: 403 }')).toEqual({ httpStatus: 403, grpcCode: 7, percent: 0 });
    expect(abortOf('{ httpStatus: 418 }')).toEqual({ httpStatus: 418, grpcCode: 2, percent: 0 });
  });

  it('skips documents of other kinds with a warning', () => {
    const set = loadRules('apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { name: g }\nspec: {}\n');
    expect(set.warnings[0]).toMatchObject({ document: 1, path: 'kind' });
  });
});
