/** A monotonic clock in milliseconds; injectable so state machines can be tested without waiting. */
export type Clock = () => number;

/** `performance.now()`: the same clock core's `Deadline` uses. */
export const monotonicClock: Clock = () => performance.now();
