import { DyelineError, brandError } from './errors.js';

/**
 * A request tried to set tag fields its caller is not trusted to set, and the
 * ingress policy is to reject rather than drop. Also raised for a signed tag
 * whose signature is tampered, expired or made with an unknown key.
 */
export class UntrustedTagError extends DyelineError {
  /** The tag fields the caller tried to set, e.g. `['shadow']`. */
  readonly fields: readonly string[];

  constructor(fields: readonly string[], message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_UNTRUSTED_TAG', message, options);
    this.fields = fields;
  }
}

/** True when `error` is an {@link UntrustedTagError} from any copy of dyeline. */
export const isUntrustedTagError = brandError(UntrustedTagError, 'UntrustedTagError');
