import type { Instance, InstanceSource } from '@dyeline/routing';
import { connect } from './etcd-connection.js';
import type { EtcdConnection } from './etcd-connection.js';
import { parseInstance } from './parse-instances.js';
import type { InstanceInit } from './parse-instances.js';
import { SnapshotStore } from './snapshot-store.js';

export { DEFAULT_ETCD_PREFIX } from './etcd-connection.js';
export type { EtcdConnection } from './etcd-connection.js';
export { DEFAULT_ETCD_RULES_KEY, watchEtcdRules } from './etcd-rules.js';
export type { EtcdRules, WatchEtcdRulesOptions } from './etcd-rules.js';

/** Options of {@link registerInstance}. */
export interface RegisterOptions extends EtcdConnection, InstanceInit {
  /** Lease TTL in seconds; the key vanishes this long after the process stops keeping it alive. Default 10. */
  ttl?: number;
  /** The lease was lost (etcd unreachable past the TTL); the instance is no longer registered. */
  onError?: (error: unknown) => void;
}

/** A live registration; `close()` revokes the lease, removing the instance at once. */
export interface Registration {
  readonly instance: Instance;
  readonly key: string;
  close(): Promise<void>;
}

/**
 * Registers this process as an instance under a lease that the client keeps
 * alive; the key disappears when the lease is revoked (`close()`) or expires.
 *
 * @throws {TypeError} | {InvalidInstanceError} on bad options; rejects when etcd refuses the lease.
 */
export async function registerInstance(options: RegisterOptions): Promise<Registration> {
  const { client, owned, prefix } = connect(options, 'registerInstance');
  const ttl = options.ttl ?? 10;
  if (!Number.isInteger(ttl) || ttl < 1) throw new TypeError('registerInstance: ttl must be an integer ≥ 1 (seconds)');
  const instance = parseInstance({ service: options.service, address: options.address, labels: options.labels, color: options.color, id: options.id ?? options.address }, 'registerInstance', '');
  const key = `${prefix}${instance.service}/${instance.id ?? instance.address}`;
  const lease = client.lease(ttl, { autoKeepAlive: true });
  lease.on('lost', (error) => options.onError?.(error));
  try {
    await lease.put(key).value(JSON.stringify(instance)).exec();
  } catch (error) {
    if (owned) client.close();
    throw error;
  }
  let closed = false;
  return {
    instance,
    key,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await lease.revoke();
      } finally {
        if (owned) client.close();
      }
    },
  };
}

/** Options of {@link etcdSource}. */
export interface EtcdSourceOptions extends EtcdConnection {
  /** The instance label that names its lane. Default `color`. */
  laneLabel?: string;
  /** A value that is not a valid instance (skipped), or a watch failure. */
  onError?: (error: unknown) => void;
}

/** An etcd-backed source; `ready` resolves after the first load, `close()` stops the watch. */
export interface EtcdSource extends InstanceSource {
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Instances registered in etcd under a prefix, kept current by a prefix
 * watch that starts right after the initial read's revision (no gap, no
 * duplicate). A deleted or expired key leaves the next snapshot, so the next
 * pick no longer sees it.
 *
 * @throws {TypeError} on bad options.
 */
export function etcdSource(options: EtcdSourceOptions): EtcdSource {
  const { client, owned, prefix } = connect(options, 'etcdSource');
  const store = new SnapshotStore([], options.onError);
  const byKey = new Map<string, Instance>();
  let closed = false;
  let stopWatch: (() => Promise<void>) | undefined;

  const accept = (key: string, value: string): void => {
    try {
      byKey.set(key, parseInstance(JSON.parse(value), key, '', options.laneLabel));
    } catch (error) {
      byKey.delete(key);
      options.onError?.(error);
    }
  };
  const publish = () => store.set([...byKey.values()]);

  const ready = (async () => {
    const range = await client.getAll().prefix(prefix).exec();
    for (const kv of range.kvs) accept(kv.key.toString(), kv.value.toString());
    publish();
    if (closed) return;
    const watcher = await client
      .watch()
      .prefix(prefix)
      .startRevision(String(Number(range.header.revision) + 1))
      .create();
    watcher.on('put', (kv) => {
      accept(kv.key.toString(), kv.value.toString());
      publish();
    });
    watcher.on('delete', (kv) => {
      if (byKey.delete(kv.key.toString())) publish();
    });
    watcher.on('error', (error) => options.onError?.(error));
    stopWatch = () => watcher.cancel();
  })();
  ready.catch((error: unknown) => options.onError?.(error));

  return {
    ready,
    current: () => store.current(),
    subscribe: (listener) => store.subscribe(listener),
    async close() {
      closed = true;
      await ready.catch(() => undefined);
      await stopWatch?.();
      if (owned) client.close();
    },
  };
}
