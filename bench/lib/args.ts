// The suites' `--name value` flags. node:util's parseArgs would need every
// flag declared, and run.ts hands each suite whatever follows `--suite`.

/** The value after `--name`, or `fallback` when the flag is absent. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new TypeError(`--${name} needs a value`);
  return value;
}

/** The number after `--name`, or `fallback` when the flag is absent. */
export function numberArg(name: string, fallback: number): number {
  const text = arg(name, String(fallback));
  const value = Number(text);
  if (!Number.isFinite(value)) throw new TypeError(`--${name} must be a number, got ${JSON.stringify(text)}`);
  return value;
}
