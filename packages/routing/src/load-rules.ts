import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { InvalidRuleError } from './invalid-rule-error.js';
import { SpecReader } from './spec-reader.js';
import { readVirtualService } from './read-virtual-service.js';
import { readDestinationRule } from './read-destination-rule.js';
import type { DestinationRuleSpec, RuleSet, RuleWarning, VirtualServiceSpec } from './rule-spec.js';

/** Options of {@link loadRules}. */
export interface LoadRulesOptions {
  /** Name used in errors and warnings (a file path). Default `<inline>`. */
  file?: string;
  /** Called once per unsupported field, as well as listed in `ruleSet.warnings`. */
  onWarning?: (warning: RuleWarning) => void;
}

/** What {@link loadRules} accepts: YAML/JSON text (several documents allowed), parsed documents, or a rule set. */
export type RuleInput = string | RuleSet | Record<string, unknown> | readonly unknown[];

const API_VERSIONS = new Set(['networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1', 'networking.istio.io/v1']);

function isRuleSet(input: unknown): input is RuleSet {
  return typeof input === 'object' && input !== null && Array.isArray((input as RuleSet).virtualServices) && Array.isArray((input as RuleSet).destinationRules);
}

function parseText(text: string, file: string): unknown[] {
  const docs: unknown[] = [];
  // YAML is a superset of JSON, so one parser takes both.
  parseAllDocuments(text, { uniqueKeys: true }).forEach((doc, i) => {
    if (!('errors' in doc)) return;
    const first = doc.errors[0];
    if (first !== undefined) throw new InvalidRuleError({ file, document: i + 1, path: '' }, `does not parse: ${first.message}`, { cause: first });
    const value: unknown = doc.toJS();
    docs.push(value);
  });
  // A JSON array (or a YAML sequence) of documents in a single document.
  if (docs.length === 1 && Array.isArray(docs[0])) return docs[0] as unknown[];
  return docs;
}

/**
 * Validates Istio `VirtualService` and `DestinationRule` documents
 * (networking.istio.io v1alpha3, v1beta1, v1) into a {@link RuleSet}. Fields
 * dyeline does not apply are reported as warnings with their path; documents
 * of other kinds are reported and skipped.
 *
 * @throws {InvalidRuleError} naming file, document index and field path when a
 *   document does not parse or a field is invalid.
 */
export function loadRules(input: RuleInput, options: LoadRulesOptions = {}): RuleSet {
  if (isRuleSet(input)) return input;
  const file = options.file ?? '<inline>';
  const raw = typeof input === 'string' ? parseText(input, file) : Array.isArray(input) ? (input as unknown[]) : [input];
  const warnings: RuleWarning[] = [];
  const virtualServices: VirtualServiceSpec[] = [];
  const destinationRules: DestinationRuleSpec[] = [];
  raw.forEach((value, i) => {
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
    const r = new SpecReader(file, i + 1, warnings);
    const doc = r.object(value, '');
    const apiVersion = r.string(doc.apiVersion, 'apiVersion');
    const kind = r.string(doc.kind, 'kind');
    if (!apiVersion.startsWith('networking.istio.io/')) {
      r.warn('apiVersion', `${apiVersion} ${kind} is not a routing document; skipped`);
      return;
    }
    if (!API_VERSIONS.has(apiVersion)) r.fail('apiVersion', `must be one of ${[...API_VERSIONS].join(', ')}`);
    if (kind !== 'VirtualService' && kind !== 'DestinationRule') {
      r.warn('kind', `${kind} is not supported; document skipped`);
      return;
    }
    r.unknownKeys(doc, '', ['apiVersion', 'kind', 'metadata', 'spec'], { status: 'status is ignored' });
    const metadata = r.object(doc.metadata, 'metadata');
    const name = r.string(metadata.name, 'metadata.name');
    const namespace = r.optionalString(metadata.namespace, 'metadata.namespace');
    if (kind === 'VirtualService') virtualServices.push(readVirtualService(r, doc, name, namespace));
    else destinationRules.push(readDestinationRule(r, doc, name, namespace));
  });
  if (options.onWarning !== undefined) for (const w of warnings) options.onWarning(w);
  return Object.freeze({ virtualServices, destinationRules, warnings });
}

/**
 * Reads and validates a rule file (YAML or JSON, several documents allowed).
 *
 * @throws {InvalidRuleError} when the file cannot be read or a document is invalid.
 */
export function loadRuleFile(path: string, options: Omit<LoadRulesOptions, 'file'> = {}): RuleSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidRuleError({ file: path, document: 0, path: '' }, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return loadRules(text, { ...options, file: path });
}

/** Joins rule sets (e.g. one file per service) into one. Later documents come after earlier ones. */
export function mergeRuleSets(...sets: readonly RuleSet[]): RuleSet {
  return Object.freeze({
    virtualServices: sets.flatMap((s) => s.virtualServices),
    destinationRules: sets.flatMap((s) => s.destinationRules),
    warnings: sets.flatMap((s) => s.warnings),
  });
}
