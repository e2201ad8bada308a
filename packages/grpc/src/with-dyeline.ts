import type { Client, ClientOptions } from '@grpc/grpc-js';
import { dyelineClientInterceptor } from './client-interceptor.js';
import type { DyelineClientOptions } from './client-interceptor.js';

type ClientClass<C> = new (address: string, credentials: unknown, options?: ClientOptions) => C;

/**
 * Returns a client of the same service that carries the tag: a new instance
 * of `client`'s class on the same channel (no new connection), with the
 * dyeline interceptor as its client-level interceptor. Closing either client
 * closes the shared channel.
 *
 * The new client has only dyeline's interceptor; to combine it with your own,
 * pass `interceptors: [dyelineClientInterceptor(), ...yours]` when you build
 * the client instead.
 *
 * @throws {TypeError} when `client` is not a grpc-js client, or an option is invalid.
 */
export function withDyeline<C extends Client>(client: C, options: DyelineClientOptions = {}): C {
  if (typeof client !== 'object' || client === null || typeof (client as Partial<Client>).getChannel !== 'function') {
    throw new TypeError('withDyeline: client must be a grpc-js client (from makeClientConstructor or loadPackageDefinition)');
  }
  const interceptor = dyelineClientInterceptor(options);
  const channel = client.getChannel();
  const Class = client.constructor as ClientClass<C>;
  // With channelOverride grpc-js ignores address and credentials.
  return new Class(channel.getTarget(), undefined, { channelOverride: channel, interceptors: [interceptor] });
}
