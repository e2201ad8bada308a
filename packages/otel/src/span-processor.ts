import type { Context, Span } from '@opentelemetry/api';
import { currentTag } from '@dyeline/core';
import { annotateSpan } from './annotate-span.js';
import { tagFromContext } from './tag-from-context.js';

/** Options of {@link dyelineSpanProcessor}. */
export interface DyelineSpanProcessorOptions {
  /** Also write `dyeline.user`. Off by default: user keys are often personal data. */
  includeUser?: boolean;
  /** The subset (version) of this service, e.g. `process.env.VERSION`; or a function read at span start. */
  subset?: string | (() => string | undefined);
  /** Extra tag entries to write as `dyeline.<key>`. */
  extra?: readonly string[];
}

/**
 * The shape of the SDK's `SpanProcessor` (from `@opentelemetry/sdk-trace-base`),
 * declared here so that this package needs only `@opentelemetry/api`.
 */
export interface DyelineSpanProcessor {
  onStart(span: Span, parentContext: Context): void;
  onEnd(span: unknown): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * A span processor that writes the tag to every span when it starts:
 * `dyeline.color`, `dyeline.shadow`, optionally `dyeline.user` and
 * `dyeline.subset`. The tag is dyeline's `currentTag()`, or, for spans
 * started before dyeline ingress runs (the HTTP server span), the one
 * {@link DyelinePropagator} extracted into the parent context.
 *
 * @throws {TypeError} naming the option when the options are invalid.
 */
export function dyelineSpanProcessor(options: DyelineSpanProcessorOptions = {}): DyelineSpanProcessor {
  const { subset } = options;
  if (subset !== undefined && typeof subset !== 'string' && typeof subset !== 'function') {
    throw new TypeError('dyelineSpanProcessor: options.subset must be a string or a function');
  }
  if (options.extra !== undefined && (!Array.isArray(options.extra) || options.extra.some((k) => typeof k !== 'string'))) {
    throw new TypeError('dyelineSpanProcessor: options.extra must be an array of entry names');
  }
  const includeUser = options.includeUser === true;
  const extra = options.extra;
  const annotateOptions = (chosen: string | undefined) => ({ includeUser, subset: chosen, ...(extra === undefined ? {} : { extra }) });
  // Built once unless the subset is asked for per span: onStart runs for every span.
  const fixed = typeof subset === 'function' ? undefined : annotateOptions(subset);
  return {
    onStart(span, parentContext) {
      try {
        const tag = currentTag() ?? tagFromContext(parentContext);
        const chosen = typeof subset === 'function' ? subset() : subset;
        if (tag === undefined && chosen === undefined) return;
        annotateSpan(span, tag, fixed ?? annotateOptions(chosen));
      } catch {
        // A faulty subset() must not break span creation.
      }
    },
    onEnd() {},
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
