import { DyelineError, brandError } from '@dyeline/core';

/**
 * No instance can take the call: the host has no instances, the chosen subset
 * selects none, or filters removed every candidate.
 */
export class NoInstanceError extends DyelineError {
  /** The destination host. */
  readonly host: string;
  /** The chosen subset, if any. */
  readonly subset: string | undefined;

  constructor(host: string, subset: string | undefined, detail: string) {
    super('ERR_DYELINE_NO_INSTANCE', `no instance for ${host}${subset === undefined ? '' : ` subset ${subset}`}: ${detail}`);
    this.host = host;
    this.subset = subset;
  }
}

/** True when `error` is a {@link NoInstanceError} from any copy of dyeline. */
export const isNoInstanceError = brandError(NoInstanceError, 'NoInstanceError');
