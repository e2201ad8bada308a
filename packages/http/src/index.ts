export { installFetchPropagation } from './install-fetch-propagation.js';
export { installHttpPropagation } from './install-http-propagation.js';
export { wrapHttpRequest } from './wrap-http-request.js';
export type { HttpRequestFunction } from './wrap-http-request.js';
export { PropagationError, isPropagationError } from './propagation-error.js';
export type { PropagationOptions } from './propagator.js';
// Routed outbound (routing helper): logical hosts → instances chosen by @dyeline/routing.
export { routedFetch } from './routed-fetch.js';
export type { RoutedFetchOptions } from './routed-fetch.js';
export { routedHttpRequest } from './routed-http-request.js';
export type { RoutedHttpRequestOptions } from './routed-http-request.js';
export type { RoutedClientOptions } from './route-call.js';
export { passThroughRunner } from './route-policy-runner.js';
export type { PolicyRunner, RoutedAttempt } from './route-policy-runner.js';
export { createRoutePolicyRunner } from './resilient-route-runner.js';
export type { RoutePolicyRunnerOptions } from './resilient-route-runner.js';
export { resilientFetch } from './resilient-fetch.js';
export type { ResilientFetchOptions } from './resilient-fetch.js';
