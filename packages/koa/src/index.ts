export { dyeline } from './dyeline.js';
export type { KoaDyelineMiddleware, KoaDyelineOptions } from './dyeline.js';
export type { ServerAdapterOptions } from './server-options.js';
