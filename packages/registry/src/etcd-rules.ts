import { loadRules } from '@dyeline/routing';
import type { CompiledRules, Router, RuleWarning } from '@dyeline/routing';
import { connect } from './etcd-connection.js';
import type { EtcdConnection } from './etcd-connection.js';

/** Default key of the rule document: YAML or JSON, several documents allowed. */
export const DEFAULT_ETCD_RULES_KEY = '/dyeline/rules';

/** Options of {@link watchEtcdRules}. */
export interface WatchEtcdRulesOptions extends Omit<EtcdConnection, 'prefix'> {
  /** The router whose rules the key holds. */
  router: Router;
  /** The key holding the VirtualService/DestinationRule text. Default {@link DEFAULT_ETCD_RULES_KEY}. */
  key?: string;
  /** After each applied change (also the first load). */
  onReload?: (rules: CompiledRules) => void;
  /** Unsupported fields found in a value. */
  onWarning?: (warning: RuleWarning) => void;
  /** A rejected value (`InvalidRuleError` naming `etcd:<key>`) or a watch failure; the previous rules keep serving. */
  onError?: (error: unknown) => void;
}

/** A running rule watch; `ready` resolves after the first read, `close()` stops it. */
export interface EtcdRules {
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Keeps `router`'s rules equal to the rule text stored under one etcd key,
 * watched from the revision after the first read. Each put applies to the
 * next call; an invalid value is reported and the previous rules keep serving.
 * Deleting the key removes the rules, as deleting the resources does in Istio
 * (every host then goes to all its instances).
 *
 * @throws {TypeError} on bad options.
 */
export function watchEtcdRules(options: WatchEtcdRulesOptions): EtcdRules {
  if (typeof options?.router?.update !== 'function') throw new TypeError('watchEtcdRules: router must be a Router');
  const key = options.key ?? DEFAULT_ETCD_RULES_KEY;
  if (typeof key !== 'string' || key === '') throw new TypeError('watchEtcdRules: key must be a non-empty string');
  const { client, owned } = connect(options, 'watchEtcdRules');
  let closed = false;
  let stopWatch: (() => Promise<void>) | undefined;

  const apply = (text: string): void => {
    try {
      // router.update reports a rejected set to the router's own onError too.
      options.onReload?.(options.router.update(loadRules(text, { file: `etcd:${key}`, onWarning: options.onWarning })));
    } catch (error) {
      options.onError?.(error);
    }
  };

  const ready = (async () => {
    const first = await client.get(key).exec();
    const kv = first.kvs[0];
    if (kv !== undefined) apply(kv.value.toString());
    if (closed) return;
    const watcher = await client
      .watch()
      .key(key)
      .startRevision(String(Number(first.header.revision) + 1))
      .create();
    watcher.on('put', (put) => apply(put.value.toString()));
    watcher.on('delete', () => apply(''));
    watcher.on('error', (error) => options.onError?.(error));
    stopWatch = () => watcher.cancel();
  })();
  ready.catch((error: unknown) => options.onError?.(error));

  return {
    ready,
    async close() {
      closed = true;
      await ready.catch(() => undefined);
      await stopWatch?.();
      if (owned) client.close();
    },
  };
}
