/**
 * One running copy of a service that a call can be sent to.
 *
 * The lane of an instance is its `color` label (the label name is configurable
 * on the router); an instance without it is in the base lane.
 */
export interface Instance {
  /** The logical service name callers use as host, e.g. `greeter`. */
  readonly service: string;
  /** Where to send the call: `host:port` (or a full origin `http://host:port`). */
  readonly address: string;
  /** Labels subsets select by, e.g. `{ version: 'v2', color: 'feature-42' }`. */
  readonly labels: Readonly<Record<string, string>>;
  /** A stable id (defaults to `address` where one is needed). */
  readonly id?: string;
}

/**
 * Where the router gets live instances from. `current()` returns the latest
 * snapshot; a source returns the *same* array until something changes, so the
 * router can cache work per snapshot by identity.
 */
export interface InstanceSource {
  /** All instances currently known, of every service. */
  current(): readonly Instance[];
  /** Calls `listener` after each change; returns the unsubscribe function. */
  subscribe(listener: (instances: readonly Instance[]) => void): () => void;
}
