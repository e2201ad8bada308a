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
  currentContext,
  currentDeadline,
  currentTag,
  runWithContext,
  runWithDeadline,
  runWithTag,
} from './context.js';
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
export type { Codec, CodecOptions, CodecPreset, ExtractResult, PresetFieldNames, TagHeaderNames } from './codec.js';
export { createTrustPolicy, signTag } from './trust.js';
export type { SignOptions, TrustDecision, TrustOptions, TrustPolicy, TrustRequest } from './trust.js';
export { createIngress } from './ingress.js';
export type { Ingress, IngressOptions, IngressResult, IngressStats } from './ingress.js';
