import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';

/**
 * Calls `onChange` (debounced) when `path` changes. Watches the directory,
 * because editors and `kubectl`-style tools replace a file by renaming a new
 * one over it, which a watch on the old inode never sees.
 * @internal
 */
export function watchFile(path: string, debounceMs: number, onChange: () => void): () => void {
  const full = resolve(path);
  const name = basename(full);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(full), { persistent: false }, (_event, file) => {
    if (file !== null && file !== name) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounceMs);
  });
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    watcher.close();
  };
}
