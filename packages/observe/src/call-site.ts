/** A short stack: the frames that belong to the application, without Node internals or node_modules. */
export interface CallSite {
  /** The first application frame, e.g. `sendReceipt (/app/src/orders.ts:42:7)`; `undefined` when none is on the stack. */
  readonly callSite: string | undefined;
  /** Up to `depth` application frames, innermost first. */
  readonly stack: readonly string[];
}

const INTERNAL = /\(node:|^node:|\/node_modules\/|\\node_modules\\|^new Promise|^Channel\.publish|<anonymous>/;

/**
 * Captures the application frames below `above` (a function on the current
 * stack; it and everything it called are left out).
 */
export function captureCallSite(above: (...args: never[]) => unknown, depth: number): CallSite {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  // Internals (undici, http, diagnostics_channel) can be 20 frames deep.
  Error.stackTraceLimit = 60;
  try {
    Error.captureStackTrace(holder, above);
  } finally {
    Error.stackTraceLimit = limit;
  }
  const stack: string[] = [];
  for (const line of (holder.stack ?? '').split('\n').slice(1)) {
    const frame = line.trim().replace(/^at /, '');
    if (frame === '' || INTERNAL.test(frame)) continue;
    stack.push(frame);
    if (stack.length >= depth) break;
  }
  return { callSite: stack[0], stack };
}
