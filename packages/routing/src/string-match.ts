import { RE2JS } from 're2js';
import type { StringMatchSpec } from './rule-spec.js';

/** A compiled string condition. @internal */
export type StringTest = (value: string) => boolean;

/**
 * Compiles an Istio `StringMatch`. `regex` uses RE2 syntax and must match the
 * whole value (Envoy's `safe_regex` semantics); RE2 runs in time linear in the
 * input, so a hostile header cannot stall the process.
 * @internal
 */
export function compileStringMatch(spec: StringMatchSpec, ignoreCase = false): StringTest {
  if ('exact' in spec) {
    const expected = ignoreCase ? spec.exact.toLowerCase() : spec.exact;
    return ignoreCase ? (v) => v.toLowerCase() === expected : (v) => v === expected;
  }
  if ('prefix' in spec) {
    const prefix = ignoreCase ? spec.prefix.toLowerCase() : spec.prefix;
    return ignoreCase ? (v) => v.toLowerCase().startsWith(prefix) : (v) => v.startsWith(prefix);
  }
  const re = RE2JS.compile(spec.regex, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  return (v) => re.matches(v);
}
