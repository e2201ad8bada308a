const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Milliseconds of a duration given as a number (ms) or an Istio/Go duration
 * string (`'10s'`, `'1.5s'`, `'250ms'`, `'1m30s'`).
 *
 * @throws {TypeError} naming `name` when the value is not a duration ≥ 0.
 */
export function parseDuration(value: number | string, name: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string' && value.length > 0) {
    let total = 0;
    PART.lastIndex = 0;
    while (PART.lastIndex < value.length) {
      const at = PART.lastIndex;
      const m = PART.exec(value);
      if (m === null || m.index !== at) return bad(value, name);
      total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    }
    return total;
  }
  return bad(value, name);
}

function bad(value: unknown, name: string): never {
  throw new TypeError(`${name} must be a duration (ms number or string like '10s'), got ${JSON.stringify(value)}`);
}
