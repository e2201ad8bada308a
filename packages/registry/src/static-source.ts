import type { Instance, InstanceSource } from '@dyeline/routing';
import { parseInstanceList } from './parse-instances.js';
import type { InstanceInit } from './parse-instances.js';
import { SnapshotStore } from './snapshot-store.js';

/** A fixed instance list that code may replace. */
export interface StaticSource extends InstanceSource {
  /**
   * Replaces the list; the next pick sees it.
   * @throws {InvalidInstanceError} when an entry is invalid (the old list stays).
   */
  set(instances: readonly InstanceInit[]): void;
}

/**
 * An instance source over a list given in code.
 *
 * @throws {InvalidInstanceError} when an entry is invalid.
 */
export function staticSource(instances: readonly InstanceInit[] = []): StaticSource {
  const store = new SnapshotStore(parseInstanceList(instances, 'staticSource'));
  return {
    current: () => store.current(),
    subscribe: (listener) => store.subscribe(listener),
    set: (next) => store.set(parseInstanceList(next, 'staticSource')),
  };
}

export type { Instance };
