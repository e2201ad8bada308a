const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000_001 };
const DURATION = /^(\d+(?:\.\d+)?)(h|m|s|ms|us|µs|ns)$/;

/**
 * Parses an Istio / protobuf duration (`2s`, `0.5s`, `100ms`, `1m`, `1h`) into
 * milliseconds; `undefined` when the text is not one.
 */
export function parseDuration(text: string): number | undefined {
  const parsed = DURATION.exec(text.trim());
  if (parsed === null) return undefined;
  return Number(parsed[1]) * (UNITS[parsed[2] as string] as number);
}
