import { DyelineError, brandError } from './errors.js';

/**
 * Shadow (stress-test) traffic was about to touch production, or production
 * traffic a shadow target. The operation was not performed. Shared by every
 * package that guards data, so one guard catches them all.
 */
export class ShadowIsolationError extends DyelineError {
  /** What was refused: a datasource, table, key, topic or outbound host. */
  readonly resource: string;

  constructor(resource: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_SHADOW_ISOLATION', message, options);
    this.resource = resource;
  }
}

/** True when `error` is a {@link ShadowIsolationError} from any copy of dyeline. */
export const isShadowIsolationError = brandError(ShadowIsolationError, 'ShadowIsolationError');
