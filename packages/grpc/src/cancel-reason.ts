import { CallCancelledError } from './call-cancelled-error.js';

/**
 * A client whose deadline passes cancels the stream (RST_STREAM CANCEL, the
 * same frame as an explicit cancel) at its own deadline, which is earlier
 * than the server's by the one-way latency plus grpc-timeout's rounding up:
 * the cancel reaches the server with a little time still left. A cancel with
 * at most this much left is the deadline passing (a genuine cancel that late
 * would have hit the deadline anyway).
 */
export const DEADLINE_CANCEL_SLACK_MS = 20;

/**
 * The abort reason of a cancelled call's deadline signal: undefined (the
 * Deadline's own DeadlineExceededError) when the time is up or nearly so,
 * CallCancelledError before.
 */
export function cancelReason(remainingMs: number): CallCancelledError | undefined {
  return remainingMs > DEADLINE_CANCEL_SLACK_MS ? new CallCancelledError() : undefined;
}
