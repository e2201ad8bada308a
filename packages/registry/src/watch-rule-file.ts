import { loadRuleFile } from '@dyeline/routing';
import type { CompiledRules, Router, RuleWarning } from '@dyeline/routing';
import { watchFile } from './watch-file.js';

/** Options of {@link watchRuleFile}. */
export interface WatchRuleFileOptions {
  /** The YAML/JSON file of VirtualService and DestinationRule documents. */
  path: string;
  /** The router whose rules the file replaces. */
  router: Router;
  /** Wait this long after the last change before reloading. Default 100 ms. */
  debounceMs?: number;
  /** After each good reload. */
  onReload?: (rules: CompiledRules) => void;
  /** Unsupported fields found in the file. */
  onWarning?: (warning: RuleWarning) => void;
  /** A rejected reload (`InvalidRuleError`); the previous rules keep serving. */
  onError?: (error: unknown) => void;
}

/**
 * Loads route rules from a file into `router` now and again whenever the file
 * changes. A bad file is rejected and reported; the previous rules keep serving.
 * Returns the function that stops watching.
 *
 * @throws {InvalidRuleError} when the file is invalid at start.
 */
export function watchRuleFile(options: WatchRuleFileOptions): () => void {
  if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('watchRuleFile: path must be a non-empty string');
  if (typeof options.router?.update !== 'function') throw new TypeError('watchRuleFile: router must be a Router');
  const load = () => options.router.update(loadRuleFile(options.path, { onWarning: options.onWarning }));
  load();
  return watchFile(options.path, options.debounceMs ?? 100, () => {
    try {
      options.onReload?.(load());
    } catch (error) {
      options.onError?.(error);
    }
  });
}
