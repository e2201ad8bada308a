export { shadowPGlite } from './pglite-shadow.js';
export type { PGliteLike, ShadowPGlite, ShadowPGliteOptions } from './pglite-shadow.js';
