/** Reads several names from a carrier at once: one value per name, in order. */
export type ValuesReader<C> = (carrier: C) => (string | undefined)[];

/**
 * A {@link ValuesReader} for plain records such as Node's `req.headers`,
 * compiled for these `names`: each becomes a property load with a constant
 * name and a call site of its own. Such a load stays fast (a monomorphic
 * inline cache) while the records share a shape, as the header objects of
 * callers that send the same headers do. The same lookup by a varying name,
 * `record[name]` in a loop, turns megamorphic and searches V8's global stub
 * cache each time.
 *
 * `normalize` turns what a record holds into the value read; it is called
 * only for what is neither a string nor undefined (Node's arrays).
 *
 * Falls back to that loop where code generation from strings is disallowed
 * (`node --disallow-code-generation-from-strings`).
 */
export function compileRecordReader(
  names: readonly string[],
  normalize: (value: unknown) => string | undefined,
): ValuesReader<object> {
  // JSON.stringify makes any name a safe string literal.
  const loads = names.map((name) => `(value = record[${JSON.stringify(name)}], typeof value === 'string' || value === undefined ? value : normalize(value))`);
  try {
    const make = new Function('normalize', `return function readValues(record) { let value; return [${loads.join(', ')}]; };`);
    return make(normalize) as ValuesReader<object>;
  } catch {
    return (record) =>
      names.map((name) => {
        const value = (record as Record<string, unknown>)[name];
        return typeof value === 'string' || value === undefined ? value : normalize(value);
      });
  }
}
