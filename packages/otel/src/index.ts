export { DyelinePropagator } from './dyeline-propagator.js';
export type { DyelinePropagatorOptions } from './dyeline-propagator.js';
export { tagFromContext } from './tag-from-context.js';
export type { ExtractedTag } from './tag-from-context.js';
export { dyelineSpanProcessor } from './span-processor.js';
export type { DyelineSpanProcessor, DyelineSpanProcessorOptions } from './span-processor.js';
export { annotateSpan } from './annotate-span.js';
export type { AnnotateOptions } from './annotate-span.js';
