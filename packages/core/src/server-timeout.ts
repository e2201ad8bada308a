import { STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { currentDeadline } from './context.js';
import { DEFAULT_DEADLINE_HEADER, parseDeadlineHeader } from './deadline-header.js';
import { InvalidTagError } from './invalid-tag-error.js';

/** Options of the timeout middleware of `@dyeline/koa` and `@dyeline/express`. */
export interface ServerTimeoutOptions {
  /** The longest a request may take, in ms (≥ 1). A caller's shorter deadline wins. */
  ms: number;
  /**
   * Status of the answer when the deadline passes. Default 503 (as connect-timeout): this server
   * gave up on its own work, it is not a gateway; 504 if you want Envoy's `upstream request timeout`.
   */
  status?: 503 | 504;
  /** Plain-text body of that answer. Default: JSON `{"error":"ERR_DYELINE_DEADLINE_EXCEEDED"}`. */
  message?: string;
  /** Clamp the budget to the caller's deadline header (and any deadline already in force). Default `true`. */
  headerClamp?: boolean;
  /** Header with the caller's remaining deadline. Default `x-dyeline-deadline-ms`. */
  deadlineHeader?: string;
  /** Receives a malformed deadline header and errors a handler raised after its request timed out. Must not throw. */
  onError?: (error: unknown) => void;
}

/** The options, checked once, as {@link resolveServerTimeoutOptions} returns them. */
export interface ServerTimeoutSettings {
  readonly ms: number;
  readonly status: 503 | 504;
  readonly body: string;
  readonly contentType: string;
  readonly headerClamp: boolean;
  readonly deadlineHeader: string;
  /** Calls `onError`, swallowing what it throws. */
  report(error: unknown): void;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Validates the timeout options.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function resolveServerTimeoutOptions(who: string, options: ServerTimeoutOptions): ServerTimeoutSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${who}: options must be an object with ms`);
  const { ms, status = 503, message, headerClamp = true, deadlineHeader = DEFAULT_DEADLINE_HEADER, onError } = options;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 1 || ms > MAX_TIMER_MS) {
    throw new TypeError(`${who}: options.ms must be a number of milliseconds between 1 and ${MAX_TIMER_MS}`);
  }
  if (status !== 503 && status !== 504) throw new TypeError(`${who}: options.status must be 503 or 504`);
  if (message !== undefined && typeof message !== 'string') throw new TypeError(`${who}: options.message must be a string`);
  if (typeof headerClamp !== 'boolean') throw new TypeError(`${who}: options.headerClamp must be a boolean`);
  if (typeof deadlineHeader !== 'string' || !HEADER_NAME.test(deadlineHeader)) {
    throw new TypeError(`${who}: options.deadlineHeader must be a lowercase header name`);
  }
  if (onError !== undefined && typeof onError !== 'function') throw new TypeError(`${who}: options.onError must be a function`);
  return {
    ms,
    status,
    body: message ?? '{"error":"ERR_DYELINE_DEADLINE_EXCEEDED"}',
    contentType: message === undefined ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    headerClamp,
    deadlineHeader,
    report(error) {
      try {
        onError?.(error);
      } catch {
        // Observing must never break a request.
      }
    },
  };
}

/**
 * The budget of one request in ms: the configured one, clamped to the
 * caller's deadline header and to a deadline already in force (an ingress
 * that ran first). A malformed header is reported and ignored.
 */
export function requestBudget(settings: ServerTimeoutSettings, headers: IncomingHttpHeaders): number {
  let budget = settings.ms;
  if (settings.headerClamp) {
    const raw = headers[settings.deadlineHeader];
    if (typeof raw === 'string') {
      const asked = parseDeadlineHeader(raw);
      if (asked === undefined) {
        settings.report(new InvalidTagError('malformed', settings.deadlineHeader, 'must be a whole number of milliseconds >= 0'));
      } else if (asked < budget) {
        budget = asked;
      }
    }
  }
  const parent = currentDeadline();
  if (parent !== undefined) {
    const left = parent.remaining();
    if (left < budget) budget = left;
  }
  return budget;
}

/** What {@link answerTimeout} did. */
export type TimeoutOutcome = 'answered' | 'cut' | 'finished';

// Representation headers a handler may have set for the answer it never
// finished: they would describe the wrong body.
const STALE = ['content-type', 'content-length', 'content-encoding', 'content-range', 'content-disposition', 'etag', 'last-modified', 'transfer-encoding'];

function ignoreHeader(this: ServerResponse): ServerResponse {
  return this;
}
function ignoreWrite(this: ServerResponse, ...args: unknown[]): boolean {
  const callback = args[args.length - 1];
  if (typeof callback === 'function') process.nextTick(callback as () => void);
  return true;
}
function ignoreEnd(this: ServerResponse, ...args: unknown[]): ServerResponse {
  ignoreWrite.apply(this, args);
  return this;
}
function ignoreFlush(): void {}

// Shared functions, installed only on a response that timed out: whatever the
// late handler writes (Express `res.send`, `ctx.res.write`) goes nowhere
// instead of raising "headers already sent" or "write after end".
const SILENT = {
  setHeader: ignoreHeader,
  appendHeader: ignoreHeader,
  removeHeader: ignoreFlush,
  writeHead: ignoreHeader,
  flushHeaders: ignoreFlush,
  write: ignoreWrite,
  end: ignoreEnd,
};

/**
 * Answers a request whose deadline passed, exactly once: `status` and the
 * configured body when nothing was sent yet; a response already streaming is
 * cut (the client sees a truncated body, never a second answer); a finished
 * one is left alone. Afterwards every write to `response` is ignored.
 */
export function answerTimeout(settings: ServerTimeoutSettings, response: ServerResponse): TimeoutOutcome {
  if (response.writableEnded || response.destroyed) return 'finished';
  if (response.headersSent) {
    response.destroy();
    Object.assign(response, SILENT);
    return 'cut';
  }
  for (const name of STALE) response.removeHeader(name);
  response.statusCode = settings.status;
  response.statusMessage = STATUS_CODES[settings.status] as string;
  response.setHeader('content-type', settings.contentType);
  response.setHeader('content-length', Buffer.byteLength(settings.body));
  response.end(settings.body);
  Object.assign(response, SILENT);
  return 'answered';
}
