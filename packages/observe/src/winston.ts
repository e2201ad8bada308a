export { SHADOW, dyelineFormat, productionOnly, shadowOnly } from './winston-format.js';
export type { LogFieldsOptions } from './log-fields.js';
