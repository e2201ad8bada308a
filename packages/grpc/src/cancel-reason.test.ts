import { describe, expect, it } from 'vitest';
import { isCallCancelledError } from './call-cancelled-error.js';
import { DEADLINE_CANCEL_SLACK_MS, cancelReason } from './cancel-reason.js';

describe('cancelReason', () => {
  it('is a CallCancelledError while more than the slack is left', () => {
    expect(isCallCancelledError(cancelReason(DEADLINE_CANCEL_SLACK_MS + 1))).toBe(true);
    expect(isCallCancelledError(cancelReason(10_000))).toBe(true);
  });

  it("leaves the Deadline's own DeadlineExceededError once the time is up or within the slack", () => {
    expect(cancelReason(DEADLINE_CANCEL_SLACK_MS)).toBeUndefined();
    expect(cancelReason(3)).toBeUndefined();
    expect(cancelReason(0)).toBeUndefined();
  });
});
