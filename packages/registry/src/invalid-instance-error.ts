import { DyelineError, brandError } from '@dyeline/core';

/** An instance list (file or etcd value) that cannot be used; names where and what. */
export class InvalidInstanceError extends DyelineError {
  /** The file or etcd key. */
  readonly source: string;
  /** Field path, e.g. `instances[2].address`. */
  readonly path: string;

  constructor(source: string, path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_INVALID_INSTANCE', `${source}: ${path === '' ? '' : `${path}: `}${message}`, options);
    this.source = source;
    this.path = path;
  }
}

/** True when `error` is an {@link InvalidInstanceError} from any copy of dyeline. */
export const isInvalidInstanceError = brandError(InvalidInstanceError, 'InvalidInstanceError');
