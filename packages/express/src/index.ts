export { dyeline } from './dyeline.js';
export type { ExpressDyelineMiddleware, ExpressDyelineOptions } from './dyeline.js';
export type { ServerAdapterOptions } from './server-options.js';
