export { BREAKER_STATES, dyelineMetrics } from './dyeline-metrics.js';
export type { DyelineMetrics, DyelineMetricsOptions } from './dyeline-metrics.js';
export type { OutlierEventLike, ResilienceEventLike } from './resilience-metrics.js';
export type { MiddlewareStatsLike } from './stats-metrics.js';
export { metricsHandler } from './metrics-handler.js';
