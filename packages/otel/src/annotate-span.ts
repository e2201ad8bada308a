import type { Span } from '@opentelemetry/api';
import type { Tag } from '@dyeline/core';

/** What {@link annotateSpan} writes. */
export interface AnnotateOptions {
  /** Also write `dyeline.user`. Off by default: user keys are often personal data. */
  includeUser?: boolean;
  /** The subset (version) chosen for or serving this call, e.g. `v2`. */
  subset?: string | undefined;
  /** Extra tag entries to write as `dyeline.<key>`. Default none. */
  extra?: readonly string[];
}

/**
 * Writes the tag to `span` as `dyeline.color`, `dyeline.shadow` (only when true), optionally
 * `dyeline.user`, `dyeline.subset` and extra entries. Never throws.
 */
export function annotateSpan(span: Span, tag: Tag | undefined, options: AnnotateOptions = {}): void {
  try {
    if (tag !== undefined) {
      if (tag.color !== undefined) span.setAttribute('dyeline.color', tag.color);
      // Absent means false: one attribute call less on every span of production traffic.
      if (tag.shadow) span.setAttribute('dyeline.shadow', true);
      if (options.includeUser === true && tag.user !== undefined) span.setAttribute('dyeline.user', tag.user);
      if (options.extra !== undefined) {
        for (const key of options.extra) {
          const value = tag.extra[key];
          if (value !== undefined) span.setAttribute(`dyeline.${key}`, value);
        }
      }
    }
    if (options.subset !== undefined) span.setAttribute('dyeline.subset', options.subset);
  } catch {
    // Telemetry never throws into a request.
  }
}
