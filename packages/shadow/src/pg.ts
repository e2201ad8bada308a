export { shadowPool } from './pg-shadow-pool.js';
export type { ShadowPgPool, ShadowPoolOptions } from './pg-shadow-pool.js';
export type { PgShadowSchema } from './pg-schema-pool.js';
