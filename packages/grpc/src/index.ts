export { dyelineClientInterceptor } from './client-interceptor.js';
export type { DyelineClientOptions } from './client-interceptor.js';
export { withDyeline } from './with-dyeline.js';
export { addDyelineService, wrapImplementation } from './wrap-implementation.js';
export type { DyelineServerOptions } from './wrap-implementation.js';
export { metadataAccessor } from './metadata-accessor.js';
export { parsePeerAddress } from './peer-address.js';
