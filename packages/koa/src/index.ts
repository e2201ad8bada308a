export { dyeline } from './dyeline.js';
export type { KoaDyelineMiddleware, KoaDyelineOptions } from './dyeline.js';
export type { ServerAdapterOptions } from '@dyeline/core';
export { timeout } from './timeout.js';
export type { KoaTimeoutOptions } from './timeout.js';
export { concurrencyLimit } from './concurrency-limit.js';
export type { KoaConcurrencyLimitMiddleware, KoaConcurrencyLimitOptions } from './concurrency-limit.js';
export { faultInjection } from './fault-injection.js';
export type { KoaFaultInjectionMiddleware, KoaFaultInjectionOptions } from './fault-injection.js';
