export { DyelineError, brandError, isDyelineError } from './errors.js';
export type { DyelineErrorOptions } from './errors.js';
export { InvalidTagError, isInvalidTagError } from './invalid-tag-error.js';
export type { InvalidTagReason } from './invalid-tag-error.js';
export { UntrustedTagError, isUntrustedTagError } from './untrusted-tag-error.js';
export { ShadowIsolationError, isShadowIsolationError } from './shadow-isolation-error.js';
export { Tag, EMPTY_TAG, createTag } from './tag.js';
export type { TagInit } from './tag.js';
export { Deadline, DeadlineExceededError, isDeadlineExceededError } from './deadline.js';
export {
  RequestContext,
  bindToCurrentContext,
  contextStorage,
  contextWithDeadline,
  currentContext,
  currentDeadline,
  currentIngressResult,
  currentTag,
  runWithContext,
  runWithDeadline,
  runWithTag,
} from './context.js';
export { currentCompanion, enterCompanion, runWithCompanion } from './companion-context.js';
export { fetchHeadersAccessor, headerRecordAccessor, incomingHeadersGetter } from './carrier.js';
export type { CarrierAccessor, CarrierGetter, CarrierSetter } from './carrier.js';
export { createCodec } from './codec.js';
export { presets } from './presets.js';
export {
  BAGGAGE_MAX_BYTES,
  BAGGAGE_MAX_MEMBERS,
  decodeBaggageValue,
  encodeBaggageValue,
  formatBaggageEntry,
  joinBaggage,
  parseBaggage,
} from './baggage.js';
export type { BaggageLimits, BaggageMember } from './baggage.js';
export type { Codec, CodecOptions, CodecPreset, ExtractOptions, ExtractResult, InjectOptions, PresetFieldNames, TagHeaderNames } from './codec.js';
export { createTrustPolicy, signTag } from './trust.js';
export type { SignOptions, TrustDecision, TrustOptions, TrustPolicy, TrustRequest } from './trust.js';
export { createIngress } from './ingress.js';
export type { Ingress, IngressOptions, IngressResult, IngressStats } from './ingress.js';
// Building blocks of the HTTP server adapters (@dyeline/koa, @dyeline/express): node:http only.
export { DEFAULT_DEADLINE_HEADER, MAX_DEADLINE_MS, formatDeadlineHeader, parseDeadlineHeader } from './deadline-header.js';
export { bindRequestEmitters } from './bind-request-emitters.js';
export { resolveServerOptions, responseHeadersAccessor } from './server-options.js';
export { serverRequestContext } from './server-request-context.js';
export type { ServerAdapterOptions, ServerAdapterSettings } from './server-options.js';
export { answerTimeout, requestBudget, resolveServerTimeoutOptions } from './server-timeout.js';
export type { ServerTimeoutOptions, ServerTimeoutSettings, TimeoutOutcome } from './server-timeout.js';
export { OVERLOADED_BODY, createConcurrencyGate } from './concurrency-gate.js';
export type { ConcurrencyGate, ConcurrencyGateStats, ConcurrencyLimitOptions } from './concurrency-gate.js';
