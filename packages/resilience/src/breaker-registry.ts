import { breakerConfig } from './breaker-config.js';
import type { BreakerConfig, CircuitBreakerOptions } from './breaker-config.js';
import { Breaker } from './circuit-breaker.js';
import type { BreakerSnapshot, CircuitBreaker } from './circuit-breaker.js';

/** Options of {@link createBreakerRegistry}. */
export interface BreakerRegistryOptions {
  /** Options of every breaker (validated once, shared); `name` is replaced by the key. */
  options?: CircuitBreakerOptions;
  /** Most breakers kept; the least recently used closed one goes first. Default 10,000. */
  maxKeys?: number;
}

/** Breakers by key (upstream + subset), made on first use. */
export interface BreakerRegistry {
  /** The breaker of `key`, created closed on first use. */
  get(key: string): CircuitBreaker;
  /** The breaker of `key` if it exists. */
  peek(key: string): CircuitBreaker | undefined;
  /** Drops the breaker of `key`. */
  delete(key: string): boolean;
  /** Breakers held now. */
  readonly size: number;
  /** Every breaker's state, for persistence or a debug page. */
  toJSON(): Record<string, BreakerSnapshot>;
  /** Restores states saved by `toJSON`. */
  restore(snapshots: Record<string, BreakerSnapshot>): void;
}

/**
 * A bounded map of circuit breakers keyed by upstream and subset, for
 * thousands of them: they share one validated config, own no timer, and an
 * evicted breaker is the least recently used closed one (second-chance
 * "clock" eviction — a `get` sets a bit instead of re-ordering the map).
 *
 * @throws {TypeError} naming the bad option.
 */
export function createBreakerRegistry(options: BreakerRegistryOptions = {}): BreakerRegistry {
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new TypeError('createBreakerRegistry: maxKeys must be an integer >= 1');
  const config: BreakerConfig = breakerConfig(options.options);
  const breakers = new Map<string, Breaker>();

  function evictOne(): void {
    // Each breaker gets at most one second chance, so this ends within 2 passes.
    for (let scanned = 0, n = 2 * breakers.size; scanned < n; scanned++) {
      const first = breakers.entries().next();
      if (first.done === true) return;
      const [key, breaker] = first.value;
      breakers.delete(key);
      if (breaker.used || !breaker.isClosed) {
        breaker.used = false;
        breakers.set(key, breaker);
        continue;
      }
      return;
    }
    // Everything is open and recently used: drop the oldest anyway, the bound wins.
    const oldest = breakers.keys().next();
    if (oldest.done !== true) breakers.delete(oldest.value);
  }

  return {
    get(key) {
      let breaker = breakers.get(key);
      if (breaker === undefined) {
        if (breakers.size >= maxKeys) evictOne();
        breaker = new Breaker(config, key);
        breakers.set(key, breaker);
      } else {
        breaker.used = true;
      }
      return breaker;
    },
    peek: (key) => breakers.get(key),
    delete: (key) => breakers.delete(key),
    get size() {
      return breakers.size;
    },
    toJSON() {
      const out: Record<string, BreakerSnapshot> = {};
      for (const [key, breaker] of breakers) out[key] = breaker.toJSON();
      return out;
    },
    restore(snapshots) {
      for (const [key, snapshot] of Object.entries(snapshots)) this.get(key).restore(snapshot);
    },
  };
}
