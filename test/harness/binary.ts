import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The absolute path of an installed binary, looked up in `extraDirs` then on
 * PATH; `undefined` when missing. Tests use it in `describe.skipIf`,
 * and {@link requireBinary} under CI.
 */
export function findBinary(name: string, extraDirs: readonly string[] = []): string | undefined {
  for (const dir of [...extraDirs, ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Like {@link findBinary}, but under `CI` a missing binary throws: CI must not
 * skip silently.
 */
export function binaryOrSkip(name: string, extraDirs: readonly string[] = []): string | undefined {
  const found = findBinary(name, extraDirs);
  if (found === undefined && process.env.CI !== undefined && process.env.CI !== '') {
    throw new Error(`${name} is not installed; CI needs it (tests would otherwise be skipped)`);
  }
  return found;
}
