import { DyelineError, brandError } from '@dyeline/core';

/**
 * An audit configuration (or a snapshot file) is invalid. `field` is the path
 * of the offending entry, e.g. `checks[1].production.query`.
 */
export class AuditConfigError extends DyelineError {
  /** Where in the configuration the problem is. */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_AUDIT_CONFIG', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** True when `error` is an {@link AuditConfigError} from any copy of `@dyeline/cli`. */
export const isAuditConfigError = brandError(AuditConfigError, 'AuditConfigError');
