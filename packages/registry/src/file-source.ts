import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { InstanceSource } from '@dyeline/routing';
import { InvalidInstanceError } from './invalid-instance-error.js';
import { parseInstanceList } from './parse-instances.js';
import { SnapshotStore } from './snapshot-store.js';
import { watchFile } from './watch-file.js';

/** Options of {@link fileSource}. */
export interface FileSourceOptions {
  /** A YAML or JSON file: a list of instances, or `{ instances: [...] }`. */
  path: string;
  /** Wait this long after the last change before reloading. Default 100 ms. */
  debounceMs?: number;
  /** The instance label that names its lane (target of the `color` shorthand). Default `color`. */
  laneLabel?: string;
  /** A reload that failed (unreadable or invalid file); the previous list keeps serving. */
  onError?: (error: unknown) => void;
}

/** A file-backed source; `close()` stops watching. */
export interface FileSource extends InstanceSource {
  /** Re-reads the file now. @throws {InvalidInstanceError} (the previous list stays). */
  reload(): void;
  /** Stops watching the file. */
  close(): void;
}

function read(path: string, laneLabel: string | undefined) {
  let value: unknown;
  try {
    value = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidInstanceError(path, '', `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return parseInstanceList(value, path, laneLabel);
}

/**
 * Instances from a watched YAML/JSON file. A change is picked up after the
 * debounce; a bad file is reported through `onError` and the previous list
 * keeps serving.
 *
 * @throws {TypeError} naming the option when options are malformed.
 * @throws {InvalidInstanceError} when the file is invalid at start.
 */
export function fileSource(options: FileSourceOptions): FileSource {
  if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('fileSource: path must be a non-empty string');
  const debounceMs = options.debounceMs ?? 100;
  if (!Number.isFinite(debounceMs) || debounceMs < 0) throw new TypeError('fileSource: debounceMs must be a number ≥ 0');
  const store = new SnapshotStore(read(options.path, options.laneLabel), options.onError);
  const reload = () => store.set(read(options.path, options.laneLabel));
  const stop = watchFile(options.path, debounceMs, () => {
    try {
      reload();
    } catch (error) {
      options.onError?.(error);
    }
  });
  return {
    current: () => store.current(),
    subscribe: (listener) => store.subscribe(listener),
    reload,
    close: stop,
  };
}
