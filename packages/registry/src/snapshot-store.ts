import type { Instance, InstanceSource } from '@dyeline/routing';

/** Holds the current snapshot and notifies subscribers. @internal */
export class SnapshotStore implements InstanceSource {
  #snapshot: readonly Instance[];
  readonly #listeners = new Set<(instances: readonly Instance[]) => void>();

  constructor(
    initial: readonly Instance[],
    private readonly onError?: (error: unknown) => void,
  ) {
    this.#snapshot = initial;
  }

  current(): readonly Instance[] {
    return this.#snapshot;
  }

  subscribe(listener: (instances: readonly Instance[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces the snapshot (a new array, so routers drop their caches) and notifies. */
  set(instances: readonly Instance[]): void {
    this.#snapshot = Object.isFrozen(instances) ? instances : Object.freeze([...instances]);
    for (const listener of this.#listeners) {
      try {
        listener(this.#snapshot);
      } catch (error) {
        // A listener's bug must not stop other listeners or the source.
        this.onError?.(error);
      }
    }
  }
}
