import type { Deadline } from './deadline.js';

/** The header that carries a caller's remaining deadline, in whole milliseconds. */
export const DEFAULT_DEADLINE_HEADER = 'x-dyeline-deadline-ms';

/**
 * The longest deadline a caller may ask for (one hour). Anything longer is a
 * mistake or an attack, and a hop still clamps it to its own timeout.
 */
export const MAX_DEADLINE_MS = 3_600_000;

const WHOLE_MS = /^[0-9]{1,10}$/;

/**
 * Reads a deadline header value: a non-negative whole number of milliseconds,
 * capped at {@link MAX_DEADLINE_MS}. `0` is valid — the caller has no time
 * left, and the hop must not start work for it. Returns `undefined` for a
 * malformed value (sign, fraction, exponent, blank, more than ten digits).
 */
export function parseDeadlineHeader(raw: string): number | undefined {
  if (!WHOLE_MS.test(raw)) return undefined;
  const ms = Number(raw);
  return ms > MAX_DEADLINE_MS ? MAX_DEADLINE_MS : ms;
}

/** The header value for `deadline`: the remaining time, floored to whole milliseconds. */
export function formatDeadlineHeader(deadline: Deadline): string {
  return String(Math.floor(deadline.remaining()));
}
