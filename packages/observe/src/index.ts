export { contextLossDetector } from './context-loss-detector.js';
export type { ContextLossDetector, ContextLossDetectorOptions, ContextLossReport } from './context-loss-detector.js';
export type { CallSite } from './call-site.js';
