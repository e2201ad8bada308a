import { EventEmitter } from 'node:events';
import type { ClientUnaryCall, Metadata, ServiceError, StatusObject } from '@grpc/grpc-js';

type AuthContext = ReturnType<ClientUnaryCall['getAuthContext']>;

/** What one try sent back. */
interface TryOutcome {
  metadata?: Metadata;
  status?: StatusObject;
  error?: unknown;
}

/**
 * What a routed unary call run through a route policy returns in place of
 * grpc-js's own call object: the `metadata` event, the callback and the
 * `status` event come once, from the try that decided the outcome (or, for an
 * injected fault or a timeout, from the policy), in grpc-js's order;
 * `cancel()` cancels the try in flight and stops any further one.
 * @internal
 */
export class RoutedUnaryCall extends EventEmitter implements ClientUnaryCall {
  readonly #cancel = new AbortController();
  #current: ClientUnaryCall | undefined;
  #last: TryOutcome = {};

  /** Aborts when the caller cancels the call. */
  get cancelled(): AbortSignal {
    return this.#cancel.signal;
  }

  cancel(): void {
    if (this.#cancel.signal.aborted) return;
    this.#cancel.abort();
    this.#current?.cancel();
  }

  getPeer(): string {
    return this.#current?.getPeer() ?? 'unknown';
  }

  getAuthContext(): AuthContext {
    return this.#current?.getAuthContext() ?? null;
  }

  /** Makes `call` the try in flight; what it sends back is kept until the outcome is known. */
  track(call: ClientUnaryCall): void {
    this.#current = call;
    const last: TryOutcome = {};
    this.#last = last;
    call.on('metadata', (metadata: Metadata) => (last.metadata = metadata));
    call.once('status', (status: StatusObject) => (last.status = status));
  }

  /** The last try failed with `error` (so that the outcome can be told to come from it). */
  failed(error: unknown): void {
    this.#last.error = error;
  }

  /** Reports the outcome: `metadata` (when it came from a try), the callback, then `status`. */
  settle<R>(callback: (error: ServiceError | null, response?: R) => void, error: ServiceError | undefined, response?: R): void {
    const last = this.#last;
    const fromTry = error === undefined || error === last.error;
    if (fromTry && last.metadata !== undefined) this.emit('metadata', last.metadata);
    const statusObject: StatusObject =
      fromTry && last.status !== undefined ? last.status : { code: error?.code ?? 0, details: error?.details ?? 'OK', metadata: error?.metadata as Metadata };
    try {
      if (error === undefined) callback(null, response);
      else callback(error);
    } finally {
      this.emit('status', statusObject);
    }
  }
}
