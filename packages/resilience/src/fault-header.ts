import { DyelineError, brandError } from '@dyeline/core';
import type { IngressResult } from '@dyeline/core';

/** The header dyed test traffic asks for a fault with. */
export const DEFAULT_FAULT_HEADER = 'x-dyeline-fault';

/** A fault asked for by header: delay, then abort; at least one is set. */
export interface FaultHeaderSpec {
  /** Wait this long before going on, in ms. */
  readonly delayMs: number | undefined;
  /** Answer with this HTTP status (400–599) instead of running the handler. */
  readonly abortStatus: number | undefined;
}

/** A fault header that does not parse, repeats a key, or asks for more delay than allowed. */
export class InvalidFaultHeaderError extends DyelineError {
  /** The header value as received (at most 100 characters of it). */
  readonly value: string;

  constructor(value: string, message: string) {
    super('ERR_DYELINE_FAULT_HEADER', `fault header ${JSON.stringify(value.slice(0, 100))}: ${message}`);
    this.value = value.slice(0, 100);
  }
}

/** True when `error` is an {@link InvalidFaultHeaderError} from any copy of dyeline. */
export const isInvalidFaultHeaderError = brandError(InvalidFaultHeaderError, 'InvalidFaultHeaderError');

/** Options of {@link parseFaultHeader}. */
export interface ParseFaultHeaderOptions {
  /** The longest delay a header may ask for, in ms. Default 10 000. */
  maxDelayMs?: number;
  /** Hears why a value was refused. Must not throw (errors from it are swallowed). */
  onError?: (error: InvalidFaultHeaderError) => void;
}

const DEFAULT_MAX_DELAY_MS = 10_000;
const DELAY = /^([0-9]{1,7})(ms|s)$/;
const STATUS = /^[45][0-9][0-9]$/;

function refuse(value: string, message: string, onError: ParseFaultHeaderOptions['onError']): undefined {
  if (onError !== undefined) {
    try {
      onError(new InvalidFaultHeaderError(value, message));
    } catch {
      // Observing must never break a request.
    }
  }
  return undefined;
}

/**
 * Reads a fault header value: `delay=200ms`, `delay=1s`, `abort=503`, or
 * both, `;`-separated (`delay=100ms;abort=503`: wait, then answer 503).
 * Returns `undefined` for anything else — an unknown or repeated key, a
 * status outside 400–599, a delay over `maxDelayMs` — and reports why through
 * `onError`. Never throws.
 */
export function parseFaultHeader(value: string, options: ParseFaultHeaderOptions = {}): FaultHeaderSpec | undefined {
  const { maxDelayMs = DEFAULT_MAX_DELAY_MS, onError } = options;
  if (typeof value !== 'string' || value.length > 100) return refuse(String(value), 'longer than 100 characters', onError);
  let delayMs: number | undefined;
  let abortStatus: number | undefined;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    if (eq < 0) return refuse(value, `expected key=value, got ${JSON.stringify(part.trim())}`, onError);
    if (key === 'delay') {
      if (delayMs !== undefined) return refuse(value, 'delay given twice', onError);
      const m = DELAY.exec(raw);
      if (m === null) return refuse(value, 'delay must be a whole number with ms or s, e.g. 200ms', onError);
      delayMs = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
      if (delayMs > maxDelayMs) return refuse(value, `delay over the ${maxDelayMs} ms allowed`, onError);
    } else if (key === 'abort') {
      if (abortStatus !== undefined) return refuse(value, 'abort given twice', onError);
      if (!STATUS.test(raw)) return refuse(value, 'abort must be an HTTP status 400-599', onError);
      abortStatus = Number(raw);
    } else {
      return refuse(value, `unknown key ${JSON.stringify(key)} (delay, abort)`, onError);
    }
  }
  return { delayMs, abortStatus };
}

/** Options of {@link createFaultHeaderGate}. */
export interface FaultHeaderGateOptions extends ParseFaultHeaderOptions {
  /** The header to read. Default `x-dyeline-fault`. */
  header?: string;
}

/** What a {@link FaultHeaderGate} did since it was built. */
export interface FaultHeaderStats {
  /** Faults applied. */
  injected: number;
  /** Headers from callers the trust policy does not trust, ignored. */
  untrusted: number;
  /** Headers on traffic with neither a color nor the shadow mark, ignored. */
  undyed: number;
  /** Headers that did not parse, ignored and reported. */
  malformed: number;
}

/** Decides, per request, whether a fault header is honoured. */
export interface FaultHeaderGate {
  /** The header it reads. */
  readonly header: string;
  readonly stats: Readonly<FaultHeaderStats>;
  /**
   * The fault to apply, or `undefined`: only for a caller the ingress trusted
   * (`result.trusted`) and only for dyed traffic (a color or the shadow mark).
   */
  decide(value: string, result: IngressResult | undefined): FaultHeaderSpec | undefined;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/**
 * Builds the check the fault-injection middleware of `@dyeline/koa` and
 * `@dyeline/express` runs: a fault header is honoured only when the trust
 * policy trusted the caller and the traffic is dyed, so production traffic
 * and the public can never slow or fail a service by header.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function createFaultHeaderGate(who: string, options: FaultHeaderGateOptions = {}): FaultHeaderGate {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${who}: options must be an object`);
  const { header = DEFAULT_FAULT_HEADER, maxDelayMs = DEFAULT_MAX_DELAY_MS, onError } = options;
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) throw new TypeError(`${who}: options.header must be a lowercase header name`);
  if (!Number.isInteger(maxDelayMs) || maxDelayMs < 0) throw new TypeError(`${who}: options.maxDelayMs must be a whole number of ms >= 0`);
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError(`${who}: options.onError must be a function`);
  const stats: FaultHeaderStats = { injected: 0, untrusted: 0, undyed: 0, malformed: 0 };
  const parseOptions: ParseFaultHeaderOptions = { maxDelayMs, onError };
  return {
    header,
    stats,
    decide(value, result) {
      // Undyed first: the ingress judges trust only for requests that carry a tag.
      if (result !== undefined && result.tag.color === undefined && !result.tag.shadow) {
        stats.undyed++;
        return undefined;
      }
      if (result === undefined || !result.trusted) {
        stats.untrusted++;
        return undefined;
      }
      const spec = parseFaultHeader(value, parseOptions);
      if (spec === undefined) stats.malformed++;
      else stats.injected++;
      return spec;
    },
  };
}
