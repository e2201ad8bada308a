import { DyelineError, brandError } from './errors.js';

/** Why a tag value or header was refused. */
export type InvalidTagReason =
  /** A value is longer than the configured limit. */
  | 'too-long'
  /** A whole header (or baggage) exceeds its byte limit. */
  | 'header-too-large'
  /** A value has characters outside the allowed charset. */
  | 'bad-charset'
  /** A header or baggage member does not parse. */
  | 'malformed'
  /** A key is not in the configured allow list. */
  | 'not-allowed'
  /** Too many entries (e.g. more than 64 baggage members). */
  | 'too-many';

const CODES: Record<InvalidTagReason, string> = {
  'too-long': 'ERR_DYELINE_TAG_VALUE_TOO_LONG',
  'header-too-large': 'ERR_DYELINE_HEADER_TOO_LARGE',
  'bad-charset': 'ERR_DYELINE_TAG_BAD_CHARSET',
  malformed: 'ERR_DYELINE_TAG_MALFORMED',
  'not-allowed': 'ERR_DYELINE_TAG_KEY_NOT_ALLOWED',
  'too-many': 'ERR_DYELINE_TAG_TOO_MANY_ENTRIES',
};

/**
 * A tag value, header or baggage member that failed validation. Ingress code
 * drops the offending part (and reports this error through `onError`) or
 * rejects the request, depending on its policy; it never throws it out of a
 * codec.
 */
export class InvalidTagError extends DyelineError {
  /** What was wrong. */
  readonly reason: InvalidTagReason;
  /** The header, baggage key or tag field that was refused, e.g. `x-color`. */
  readonly field: string;

  constructor(reason: InvalidTagReason, field: string, message: string, options?: { cause?: unknown }) {
    super(CODES[reason], `${field}: ${message}`, options);
    this.reason = reason;
    this.field = field;
  }
}

/** True when `error` is an {@link InvalidTagError} from any copy of dyeline. */
export const isInvalidTagError = brandError(InvalidTagError, 'InvalidTagError');
