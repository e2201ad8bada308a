export { BREAKER_STATES, dyelineMetrics } from './dyeline-metrics.js';
export type { DyelineMetrics, DyelineMetricsOptions } from './dyeline-metrics.js';
export { metricsHandler } from './metrics-handler.js';
