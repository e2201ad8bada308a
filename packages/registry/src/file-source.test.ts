import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTag } from '@dyeline/core';
import { createRouter, isInvalidRuleError } from '@dyeline/routing';
import { fileSource } from './file-source.js';
import { isInvalidInstanceError } from './invalid-instance-error.js';
import { staticSource } from './static-source.js';
import { watchRuleFile } from './watch-rule-file.js';

const dirs: string[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dyeline-registry-'));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
/** Replace atomically, as editors and config tools do. */
function replace(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
function nextChange<T>(subscribe: (l: (v: T) => void) => () => void): Promise<T> {
  return new Promise((resolve) => {
    const off = subscribe((v) => {
      off();
      resolve(v);
    });
  });
}

describe('staticSource', () => {
  it('validates entries, turns color into the lane label, and notifies on set', () => {
    const source = staticSource([{ service: 'greeter', address: '127.0.0.1:1', color: 'feature-42' }]);
    expect(source.current()[0]?.labels).toEqual({ color: 'feature-42' });
    const seen: number[] = [];
    source.subscribe((list) => seen.push(list.length));
    source.set([{ service: 'greeter', address: '127.0.0.1:1' }, { service: 'greeter', address: '127.0.0.1:2' }]);
    expect(seen).toEqual([2]);
    let error: unknown;
    try {
      source.set([{ service: 'greeter', address: '' }]);
    } catch (e) {
      error = e;
    }
    expect(isInvalidInstanceError(error) && error.message).toBe('staticSource: [0].address: must be a non-empty string');
    expect(source.current()).toHaveLength(2);
  });
});

describe('fileSource', () => {
  it('reloads on change; a bad file is reported and the old list keeps serving', async () => {
    const path = tempFile('instances.yaml', 'instances:\n- { service: greeter, address: "127.0.0.1:1", labels: { version: v1 } }\n');
    const errors: unknown[] = [];
    const source = fileSource({ path, debounceMs: 20, onError: (e) => errors.push(e) });
    cleanups.push(source.close);
    const router = createRouter({ instances: source });
    expect(router.decide({ host: 'greeter' }, createTag()).instance.address).toBe('127.0.0.1:1');

    let changed = nextChange(source.subscribe);
    replace(path, '[{ "service": "greeter", "address": "127.0.0.1:2" }]');
    await changed;
    expect(router.decide({ host: 'greeter' }, createTag()).instance.address).toBe('127.0.0.1:2');

    writeFileSync(path, 'instances:\n- { service: greeter }\n');
    await expect.poll(() => errors.length).toBe(1);
    expect(isInvalidInstanceError(errors[0]) && (errors[0] as Error).message).toMatch(/instances\[0\]\.address/);
    expect(router.decide({ host: 'greeter' }, createTag()).instance.address).toBe('127.0.0.1:2');

    changed = nextChange(source.subscribe);
    writeFileSync(path, 'instances: []\n');
    expect(await changed).toEqual([]);
  });

  it('refuses an invalid file at start', () => {
    const path = tempFile('bad.yaml', 'instances: nope\n');
    expect(() => fileSource({ path })).toThrow(/must be a list of instances/);
  });
});

describe('watchRuleFile', () => {
  const rule = (subset: string, weight = 100) => `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - route:
    - destination: { host: greeter, subset: ${subset} }
      weight: ${weight}
`;

  it('applies a changed rule file to the next call and keeps the old rules on a bad one', async () => {
    const path = tempFile('rules.yaml', rule('v1'));
    const instances = [
      { service: 'greeter', address: 'a:1', labels: { version: 'v1' } },
      { service: 'greeter', address: 'b:1', labels: { version: 'v2' } },
    ];
    const router = createRouter({ instances });
    const errors: unknown[] = [];
    let reloads = 0;
    const stop = watchRuleFile({ path, router, debounceMs: 20, onError: (e) => errors.push(e), onReload: () => reloads++ });
    cleanups.push(stop);
    expect(router.decide({ host: 'greeter' }, createTag()).subset).toBe('v1');
    replace(path, rule('v2'));
    await expect.poll(() => reloads).toBe(1);
    expect(router.decide({ host: 'greeter' }, createTag()).subset).toBe('v2');
    replace(path, rule('v1', 500));
    await expect.poll(() => errors.length).toBe(1);
    expect(isInvalidRuleError(errors[0]) && (errors[0] as Error).message).toBe(`${path}#2: spec.http[0].route[0].weight: must be an integer 0..100`);
    expect(router.decide({ host: 'greeter' }, createTag()).subset).toBe('v2');
  });
});
