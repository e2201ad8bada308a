import { Etcd3 } from 'etcd3';
import type { IOptions } from 'etcd3';

/** Default key prefix: `/dyeline/instances/<service>/<id>` → JSON instance. */
export const DEFAULT_ETCD_PREFIX = '/dyeline/instances/';

/** How to reach etcd: a client you own, or options for one the registry owns (and closes). */
export interface EtcdConnection {
  /** An existing client; not closed by the registry. */
  client?: Etcd3;
  /** Options for a new client, e.g. `{ hosts: 'http://127.0.0.1:2379' }`. */
  etcd?: IOptions;
  /** Key prefix. Default {@link DEFAULT_ETCD_PREFIX}. */
  prefix?: string;
}

/** Opens (or borrows) the client. @internal */
export function connect(options: EtcdConnection, who: string): { client: Etcd3; owned: boolean; prefix: string } {
  if (options.client === undefined && options.etcd === undefined) throw new TypeError(`${who}: pass client or etcd`);
  const prefix = options.prefix ?? DEFAULT_ETCD_PREFIX;
  if (typeof prefix !== 'string' || prefix === '') throw new TypeError(`${who}: prefix must be a non-empty string`);
  return options.client !== undefined ? { client: options.client, owned: false, prefix } : { client: new Etcd3(options.etcd), owned: true, prefix };
}
