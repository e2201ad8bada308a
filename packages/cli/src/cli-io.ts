import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

/** Where a command writes and what it reads from its surroundings; `main` defaults to the process's. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: a load run stops early and reports what ran. */
  readonly signal?: AbortSignal;
}

/** The exit codes of `dyeline`. */
export const EXIT = Object.freeze({
  /** Everything held. */
  ok: 0,
  /** The run failed its bar: errors above the threshold, a production target changed, the audited command failed. */
  failed: 1,
  /** Bad flags, a bad config file. */
  usage: 2,
  /** The audit could not read a target, so it cannot vouch for anything. */
  unmeasured: 3,
});

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/**
 * `parseArgs` in strict mode, its errors turned into a {@link UsageError}
 * that names the command.
 *
 * @throws {UsageError} on an unknown flag or a missing value.
 */
export function parseFlags<O extends Options>(command: string, args: readonly string[], options: O): Parsed<O> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A flag value as a number within bounds.
 *
 * @throws {UsageError} naming the flag when it is not.
 */
export function numberFlag(command: string, flag: string, raw: string | undefined, integer: boolean, min: number, max = Infinity): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const bound = max === Infinity ? `≥ ${min}` : `${min}..${max}`;
    throw new UsageError(`${command}: --${flag} must be ${integer ? 'an integer' : 'a number'} ${bound}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * `key<sep>value` pairs of a repeatable flag.
 *
 * @throws {UsageError} naming the flag when a pair has no separator or an empty key.
 */
export function pairsFlag(command: string, flag: string, raw: readonly string[] | undefined, separator: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const entry of raw ?? []) {
    const at = entry.indexOf(separator);
    const key = at === -1 ? '' : entry.slice(0, at).trim();
    if (key === '') throw new UsageError(`${command}: --${flag} takes key${separator}value, got ${JSON.stringify(entry)}`);
    pairs[key.toLowerCase()] = entry.slice(at + 1).trim();
  }
  return pairs;
}
