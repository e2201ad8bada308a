import { DyelineError, brandError } from '@dyeline/core';

/**
 * The audit could not read a target (database down, bad query, wrong
 * credentials). An audit that cannot measure does not pass.
 */
export class AuditProbeError extends DyelineError {
  /** The check's name. */
  readonly check: string;
  /** Which target of the check. */
  readonly side: 'production' | 'shadow';

  constructor(check: string, side: 'production' | 'shadow', message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_AUDIT_PROBE', `check "${check}" (${side}): ${message}`, options);
    this.check = check;
    this.side = side;
  }
}

/** True when `error` is an {@link AuditProbeError} from any copy of `@dyeline/cli`. */
export const isAuditProbeError = brandError(AuditProbeError, 'AuditProbeError');
