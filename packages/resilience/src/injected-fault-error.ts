import { DyelineError, brandError } from '@dyeline/core';

/** What an injected abort answers with: an HTTP status, a gRPC status code, or neither (an error). */
export interface InjectedFaultInit {
  /** HTTP status the caller should answer with (Istio `abort.httpStatus`). */
  status?: number | undefined;
  /** gRPC status code the caller should answer with (Istio `abort.grpcStatus`). */
  grpcCode?: number | undefined;
}

/**
 * A fault injected on purpose by {@link injectFault} (`abort`). Adapters turn
 * `status` into a response (HTTP) or `grpcCode` into a call status (gRPC).
 */
export class InjectedFaultError extends DyelineError {
  /** HTTP status to answer with, if the fault names one. */
  readonly status: number | undefined;
  /** gRPC code to answer with, if the fault names one. */
  readonly grpcCode: number | undefined;

  constructor(init: InjectedFaultInit, options?: { cause?: unknown }) {
    const what = init.status !== undefined ? `HTTP ${init.status}` : init.grpcCode !== undefined ? `gRPC code ${init.grpcCode}` : 'error';
    super('ERR_DYELINE_INJECTED_FAULT', `injected fault: ${what}`, options);
    this.status = init.status;
    this.grpcCode = init.grpcCode;
  }
}

/** True when `error` is an {@link InjectedFaultError} from any copy of dyeline. */
export const isInjectedFaultError = brandError(InjectedFaultError, 'InjectedFaultError');
