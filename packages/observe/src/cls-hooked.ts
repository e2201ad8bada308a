export { clsHookedBridge } from './cls-bridge.js';
export type { ClsBridge, ClsBridgeOptions } from './cls-bridge.js';
