import { EMPTY_TAG, createTag } from '@dyeline/core';
import type { IngressResult } from '@dyeline/core';
import { describe, expect, it } from 'vitest';
import { createFaultHeaderGate, isInvalidFaultHeaderError, parseFaultHeader } from './fault-header.js';
import type { InvalidFaultHeaderError } from './fault-header.js';

describe('parseFaultHeader', () => {
  it.each([
    ['delay=200ms', { delayMs: 200, abortStatus: undefined }],
    ['delay=2s', { delayMs: 2000, abortStatus: undefined }],
    ['abort=503', { delayMs: undefined, abortStatus: 503 }],
    ['delay=100ms;abort=503', { delayMs: 100, abortStatus: 503 }],
    [' abort = 429 ; delay = 0ms ', { delayMs: 0, abortStatus: 429 }],
  ])('reads %j', (value, expected) => {
    expect(parseFaultHeader(value)).toEqual(expected);
  });

  it.each([
    ['', 'expected key=value'],
    ['delay', 'expected key=value'],
    ['delay=200', 'whole number with ms or s'],
    ['delay=1.5s', 'whole number with ms or s'],
    ['delay=-5ms', 'whole number with ms or s'],
    ['abort=200', 'HTTP status 400-599'],
    ['abort=600', 'HTTP status 400-599'],
    ['abort=50x', 'HTTP status 400-599'],
    ['abort=503;abort=500', 'abort given twice'],
    ['delay=1ms;delay=2ms', 'delay given twice'],
    ['delay=100ms;', 'expected key=value'],
    ['percent=50', 'unknown key'],
    ['delay=11s', 'over the 10000 ms allowed'],
    ['abort=503'.padEnd(101, ' '), 'longer than 100 characters'],
  ])('refuses %j and says why', (value, why) => {
    const errors: unknown[] = [];
    expect(parseFaultHeader(value, { onError: (error) => errors.push(error) })).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(isInvalidFaultHeaderError(errors[0])).toBe(true);
    expect((errors[0] as InvalidFaultHeaderError).code).toBe('ERR_DYELINE_FAULT_HEADER');
    expect((errors[0] as Error).message).toContain(why);
  });

  it('takes its delay cap from the options and never throws from a throwing hook', () => {
    expect(parseFaultHeader('delay=50ms', { maxDelayMs: 10 })).toBeUndefined();
    expect(parseFaultHeader('delay=10ms', { maxDelayMs: 10 })).toEqual({ delayMs: 10, abortStatus: undefined });
    expect(() =>
      parseFaultHeader('nope', {
        onError: () => {
          throw new Error('hook');
        },
      }),
    ).not.toThrow();
  });
});

describe('createFaultHeaderGate', () => {
  const result = (trusted: boolean, tag = createTag({ color: 'blue' })): IngressResult => ({ tag, trusted, rejected: undefined, deadlineMs: undefined });

  it('honours trusted dyed traffic only, and counts what it ignores', () => {
    const gate = createFaultHeaderGate('test');
    expect(gate.header).toBe('x-dyeline-fault');
    expect(gate.decide('abort=503', result(true))).toEqual({ delayMs: undefined, abortStatus: 503 });
    expect(gate.decide('abort=503', result(true, createTag({ shadow: true })))).toEqual({ delayMs: undefined, abortStatus: 503 });
    expect(gate.decide('abort=503', result(false))).toBeUndefined();
    expect(gate.decide('abort=503', undefined)).toBeUndefined();
    expect(gate.decide('abort=503', result(true, EMPTY_TAG))).toBeUndefined();
    expect(gate.decide('abort=5', result(true))).toBeUndefined();
    expect(gate.stats).toEqual({ injected: 2, untrusted: 2, undyed: 1, malformed: 1 });
  });

  it.each([
    [{ header: 'X Fault' }, 'options.header'],
    [{ maxDelayMs: -1 }, 'options.maxDelayMs'],
    [{ onError: 'log' }, 'options.onError'],
  ])('throws a TypeError naming the option: %j', (options, name) => {
    expect(() => createFaultHeaderGate('test', options as never)).toThrow(name);
  });
});
