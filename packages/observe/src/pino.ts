export { dyelineMixin } from './pino-mixin.js';
export { shadowSplitStream } from './shadow-split-stream.js';
export type { LineDestination, ShadowSplitOptions } from './shadow-split-stream.js';
export type { LogFieldsOptions } from './log-fields.js';
