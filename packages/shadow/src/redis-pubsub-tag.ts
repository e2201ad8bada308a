import { EMPTY_TAG, runWithTag } from '@dyeline/core';
import type { Redis } from 'ioredis';
import type { ShadowResolver } from './shadow-resolver.js';

type Listener = (...args: unknown[]) => unknown;

// Pub/sub events and the position of the channel among their arguments.
const CHANNEL_AT: Readonly<Record<string, number>> = {
  message: 0, messageBuffer: 0, smessage: 0, smessageBuffer: 0, pmessage: 1, pmessageBuffer: 1,
};
const SHADOW_ONLY = EMPTY_TAG.with({ shadow: true });

/**
 * Makes pub/sub listeners registered through `wrapper` run with the tag their
 * channel implies — shadow for a shadow channel, an empty tag otherwise —
 * instead of whatever context the subscriber's socket happened to be opened
 * in. Without it a production message could run under a shadow context (or
 * the reverse) and the handler's writes would cross.
 */
export function installPubsubTagging(wrapper: Redis, production: Redis, resolver: ShadowResolver): void {
  const wrapped = new WeakMap<Listener, Listener>();
  const wrap = (event: string | symbol, listener: Listener): Listener => {
    const at = typeof event === 'string' ? CHANNEL_AT[event] : undefined;
    if (at === undefined || typeof listener !== 'function') return listener;
    let inner = wrapped.get(listener);
    if (inner === undefined) {
      inner = function tagged(this: unknown, ...args: unknown[]) {
        const channel = args[at];
        const name = typeof channel === 'string' ? channel : Buffer.isBuffer(channel) ? channel.toString('latin1') : '';
        return runWithTag(resolver.isShadowName(name) ? SHADOW_ONLY : EMPTY_TAG, () => listener.apply(this, args));
      };
      wrapped.set(listener, inner);
    }
    return inner;
  };
  const target = wrapper as unknown as Record<string, unknown>;
  const emitter = production as unknown as Record<string, Listener>;
  for (const method of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener']) {
    target[method] = (event: string | symbol, listener: Listener) => {
      emitter[method]!.call(production, event, wrap(event, listener));
      return wrapper;
    };
  }
  for (const method of ['off', 'removeListener']) {
    target[method] = (event: string | symbol, listener: Listener) => {
      emitter[method]!.call(production, event, wrapped.get(listener) ?? listener);
      return wrapper;
    };
  }
}
