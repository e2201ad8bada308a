import { edgeTrustStep } from './edge-trust.js';
import { grpcTrafficStep } from './grpc-traffic.js';
import { httpTrafficStep } from './http-traffic.js';
import { routingWalkthroughStep } from './routing-walkthrough.js';
import { shadowStressStep } from './shadow-stress.js';
import type { DemoStep } from './types.js';

export { startDemoStack } from './stack.js';
export type { DemoStack, DemoStackOptions } from './stack.js';
export { formatTable } from './table.js';
export type { DemoRow, DemoStep } from './types.js';

/** The demo's steps, in order. A new example adds one import and one entry here. */
export const demoSteps: readonly DemoStep[] = [httpTrafficStep, edgeTrustStep, shadowStressStep, grpcTrafficStep, routingWalkthroughStep];
