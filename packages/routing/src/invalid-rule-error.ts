import { DyelineError, brandError } from '@dyeline/core';

/** Where in which document a rule problem sits. */
export interface RuleLocation {
  /** The file (or a caller-given source name); `<inline>` when none. */
  file: string;
  /** 1-based index of the document in a multi-document file (`---` separated) or JSON array. */
  document: number;
  /** Field path inside the document, e.g. `spec.http[0].route[1].weight`. */
  path: string;
}

/**
 * A route rule document that cannot be used: it does not parse, or a field has
 * the wrong type or value. The message reads
 * `rules.yaml#2: spec.http[0].route[1].weight: must be an integer 0..100`.
 */
export class InvalidRuleError extends DyelineError {
  /** The file or source name. */
  readonly file: string;
  /** 1-based document index. */
  readonly document: number;
  /** The field path inside the document (empty for a document that does not parse). */
  readonly path: string;

  constructor(location: RuleLocation, message: string, options?: { cause?: unknown }) {
    super(
      'ERR_DYELINE_INVALID_RULE',
      `${location.file}#${location.document}: ${location.path === '' ? '' : `${location.path}: `}${message}`,
      options,
    );
    this.file = location.file;
    this.document = location.document;
    this.path = location.path;
  }
}

/** True when `error` is an {@link InvalidRuleError} from any copy of dyeline. */
export const isInvalidRuleError = brandError(InvalidRuleError, 'InvalidRuleError');
