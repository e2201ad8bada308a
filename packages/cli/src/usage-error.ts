import { DyelineError, brandError } from '@dyeline/core';

/**
 * The command line was wrong: an unknown command or flag, a missing or
 * malformed value. The `dyeline` command prints the message and exits with 2.
 */
export class UsageError extends DyelineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DYELINE_CLI_USAGE', message, options);
  }
}

/** True when `error` is a {@link UsageError} from any copy of `@dyeline/cli`. */
export const isUsageError = brandError(UsageError, 'UsageError');
