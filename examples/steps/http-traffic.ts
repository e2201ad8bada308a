import type { DemoStep } from './types.js';
import { sendTraffic } from './traffic.js';
import type { TrafficClass } from './traffic.js';

// What the public may set at the edge (see mesh-options.ts): a lane, who it
// is, and whether it wants the canary. Colors without a lane of their own
// fall back to the base lane (v1) but still travel to the last hop.
const classes: readonly TrafficClass[] = [
  { name: 'plain', headers: {}, expectedVersions: ['v1'], expectedTag: {} },
  { name: 'user: admin', headers: { user: 'admin' }, expectedVersions: ['v2'], expectedTag: { user: 'admin' } },
  { name: 'x-color: v2', headers: { 'x-color': 'v2' }, expectedVersions: ['v2'], expectedTag: { color: 'v2' } },
  {
    name: 'x-canary: true',
    headers: { 'x-canary': 'true' },
    expectedVersions: ['v2'],
    expectedTag: { extra: { 'x-canary': 'true' } },
  },
  { name: 'x-color: blue', headers: { 'x-color': 'blue' }, expectedVersions: ['v1'], expectedTag: { color: 'blue' } },
  {
    name: 'baggage: color=feature-42,vendor=kept',
    headers: { baggage: 'color=feature-42,vendor=kept' },
    expectedVersions: ['v1'],
    expectedTag: { color: 'feature-42' },
    // Somebody else's baggage member rides along untouched through every hop.
    keptBaggage: 'vendor=kept',
  },
  {
    name: 'end-user: alice + x-color: green',
    headers: { 'end-user': 'alice', 'x-color': 'green' },
    expectedVersions: ['v1'],
    expectedTag: { color: 'green', user: 'alice' },
  },
];

/** The traffic classes of the issue, all mixed together through gateway → greeter → echo. */
export const httpTrafficStep: DemoStep = {
  name: 'http',
  run: (stack) => sendTraffic(stack, 'http', classes),
};
