import { createTag, signTag } from '@dyeline/core';
import type { IngressStats } from '@dyeline/core';
import type { DemoStack } from './stack.js';
import type { DemoRow, DemoStep } from './types.js';
import { sendTraffic } from './traffic.js';
import type { TrafficClass } from './traffic.js';

type Counter = keyof IngressStats;

interface TrustCase {
  traffic: TrafficClass;
  /** The gateway counter that must grow by one per request, and how the table names it. */
  counter: Counter;
  label: string;
}

function cases(signingKey: string): TrustCase[] {
  const sign = (init: Parameters<typeof createTag>[0]): string =>
    signTag(createTag(init), { keyId: 'loadgen', key: signingKey, ttlSeconds: 60 });
  return [
    {
      // A caller on the internet pretends to be the stress test.
      traffic: { name: 'forged x-shadow: 1', headers: { 'x-shadow': '1' }, expectedVersions: ['v1'], expectedTag: {} },
      counter: 'untrustedDrops',
      label: 'shadow dropped',
    },
    {
      // The load-test platform signs its tag: believed in full, shadow included.
      traffic: {
        name: 'signed x-shadow: 1',
        headers: { 'x-shadow': '1', 'x-dyeline-signature': sign({ shadow: true }) },
        expectedVersions: ['v1'],
        expectedTag: { shadow: true },
      },
      counter: 'untrustedDrops',
      label: 'dropped',
    },
    {
      // A signature lifted from another request: refused, so only what the public may set survives.
      traffic: {
        name: 'tampered signature',
        headers: { 'x-color': 'v2', 'x-shadow': '1', 'x-dyeline-signature': sign({ color: 'blue' }) },
        expectedVersions: ['v2'],
        expectedTag: { color: 'v2' },
      },
      counter: 'signatureRejected',
      label: 'signature refused',
    },
  ];
}

async function runCase(stack: DemoStack, trustCase: TrustCase, expectedPerRequest: number): Promise<DemoRow> {
  const before = stack.gatewayStats[trustCase.counter];
  const [row] = await sendTraffic(stack, 'trust', [trustCase.traffic]);
  const result = row as DemoRow;
  const grown = stack.gatewayStats[trustCase.counter] - before;
  const expected = expectedPerRequest * result.requests;
  const note = `${trustCase.label} ${grown}/${result.requests}`;
  return { ...result, note: result.note === '' ? note : `${result.note}; ${note}`, ok: result.ok && grown === expected };
}

/**
 * The edge trust policy at work: a forged shadow mark is dropped (and
 * counted), a signed one is believed and reaches the last hop, a tampered
 * signature is refused. One class at a time, so the gateway's counters can be
 * attributed to it.
 */
export const edgeTrustStep: DemoStep = {
  name: 'trust',
  async run(stack) {
    const [forged, signed, tampered] = cases(stack.signingKey) as [TrustCase, TrustCase, TrustCase];
    return [
      await runCase(stack, forged, 1),
      // Nothing may be dropped from a correctly signed tag.
      await runCase(stack, signed, 0),
      await runCase(stack, tampered, 1),
    ];
  },
};
