import { describe, expect, it } from 'vitest';
import { Deadline } from './deadline.js';
import { MAX_DEADLINE_MS, formatDeadlineHeader, parseDeadlineHeader } from './deadline-header.js';

describe('deadline header', () => {
  it('reads whole milliseconds >= 0, capped at one hour', () => {
    expect(parseDeadlineHeader('0')).toBe(0);
    expect(parseDeadlineHeader('250')).toBe(250);
    expect(parseDeadlineHeader('0250')).toBe(250);
    expect(parseDeadlineHeader('9999999999')).toBe(MAX_DEADLINE_MS);
  });

  it.each(['', ' 5', '5 ', '+5', '-5', '1.5', '1e3', '0x10', '99999999999', 'soon'])('refuses %j', (raw) => {
    expect(parseDeadlineHeader(raw)).toBeUndefined();
  });

  it('writes the remaining time floored, 0 once passed', () => {
    const value = Number(formatDeadlineHeader(Deadline.after(500)));
    expect(Number.isInteger(value)).toBe(true);
    expect(value).toBeGreaterThan(400);
    expect(value).toBeLessThanOrEqual(499);
    expect(formatDeadlineHeader(Deadline.after(0))).toBe('0');
  });
});
