export { dyeline } from './dyeline.js';
export type { ExpressDyelineMiddleware, ExpressDyelineOptions } from './dyeline.js';
export type { ServerAdapterOptions } from '@dyeline/core';
export { timeout } from './timeout.js';
export type { ExpressTimeoutOptions } from './timeout.js';
export { concurrencyLimit } from './concurrency-limit.js';
export type { ExpressConcurrencyLimitMiddleware, ExpressConcurrencyLimitOptions } from './concurrency-limit.js';
export { faultInjection } from './fault-injection.js';
export type { ExpressFaultInjectionMiddleware, ExpressFaultInjectionOptions } from './fault-injection.js';
