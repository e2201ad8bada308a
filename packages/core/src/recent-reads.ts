/** Limits of a {@link RecentReads}. */
export interface RecentReadsLimits {
  /** Entries kept; a full cache starts over. Default 256. */
  readonly maxEntries?: number;
  /** Values longer than this together (UTF-16 units, all headers read) are not remembered. Default 1024. */
  readonly maxLength?: number;
  /** Lookups per hit-rate check. Default 1024. */
  readonly window?: number;
  /** Below this share of hits in a window, the cache steps aside. Default 0.25. */
  readonly minHitRate?: number;
  /** Reads it then stays aside before trying again. Default 16 × window. */
  readonly pause?: number;
  /** Missed values remembered as seen once, the second sighting of which is kept. Default 256. */
  readonly maxSeenOnce?: number;
}

interface Entry<V> {
  readonly values: readonly (string | undefined)[];
  readonly value: V;
}

/** Marks an absent header in a key: the length no remembered value can have (see maxLength). */
const ABSENT = 0xffff;
/** The same as a key's two characters, each below 256, so that keys of Latin-1 headers stay one-byte strings (half the bytes to hash). */
const ABSENT_MARK = String.fromCharCode(ABSENT & 0xff, ABSENT >>> 8);

/**
 * What ingress worked out from recent requests, by the raw values of the
 * headers it reads. Services see the same few tags again and again (a
 * handful of lanes, the users of a session), and a tag is immutable: a
 * request whose headers equal an earlier one's gets that request's work,
 * and the same tag object — whose wire form outbound calls then work out
 * once, not once per request.
 *
 * The entry found last is compared value by value first: consecutive
 * requests often carry the same tag (or none), and comparing a few short
 * strings is cheaper than hashing them into a key. Values are kept on
 * their second sighting only: a one-off input (a new user's first request)
 * kept in the cache outlives a young-generation collection and is promoted,
 * which costs more than the extraction it saves (about 1 µs per input,
 * `bench/core-extract.ts`). Bounded twice: at most `maxEntries` entries of
 * at most `maxLength` characters. A cache that does not pay — every request
 * different, say a request id among the headers read — steps aside after a
 * window with few hits and costs nothing for a while, then tries again.
 */
export class RecentReads<V> {
  readonly #entries = new Map<string, Entry<V>>();
  /** Keys missed once, recently: few, and cleared long before a collection would promote them. */
  readonly #seenOnce = new Set<string>();
  readonly #maxSeenOnce: number;
  readonly #maxEntries: number;
  readonly #maxLength: number;
  readonly #window: number;
  readonly #minHits: number;
  readonly #pause: number;
  #last: Entry<V> | undefined;
  /**
   * The values the last {@link RecentReads.find} missed and their key, when
   * they were seen once before: set only while `remember` may keep them.
   */
  #missedKey: string | undefined;
  #missedValues: readonly (string | undefined)[] = [];
  #lookups = 0;
  #hits = 0;
  /** Reads left before the cache tries again; 0 while it is in use. */
  #aside = 0;

  constructor(limits: RecentReadsLimits = {}) {
    this.#maxEntries = limits.maxEntries ?? 256;
    this.#maxLength = Math.min(limits.maxLength ?? 1024, ABSENT - 1);
    this.#window = limits.window ?? 1024;
    this.#minHits = Math.ceil(this.#window * (limits.minHitRate ?? 0.25));
    this.#pause = limits.pause ?? 16 * this.#window;
    this.#maxSeenOnce = limits.maxSeenOnce ?? 256;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The value remembered for the first `count` of `values` (the raw header
   * values ingress read, in a fixed order), or `undefined`; then
   * {@link RecentReads.remember} keeps one for them.
   */
  find(values: readonly (string | undefined)[], count: number): V | undefined {
    this.#missedKey = undefined;
    if (this.#aside > 0) {
      this.#aside--;
      return undefined;
    }
    const last = this.#last;
    if (last !== undefined && sameValues(last.values, values, count)) return this.#counted(last);
    let length = 0;
    for (let i = 0; i < count; i++) length += values[i]?.length ?? 0;
    if (length > this.#maxLength) return this.#counted(undefined);
    const key = keyOf(values, count);
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#last = entry;
    else if (this.#seenOnce.delete(key)) {
      this.#missedKey = key;
      this.#missedValues = values.slice(0, count);
    } else {
      if (this.#seenOnce.size >= this.#maxSeenOnce) this.#seenOnce.clear();
      this.#seenOnce.add(key);
    }
    return this.#counted(entry);
  }

  /** True when the last {@link RecentReads.find} missed values seen before, which it can remember. */
  get canRemember(): boolean {
    return this.#missedKey !== undefined;
  }

  /** Keeps `value` for the values the last {@link RecentReads.find} missed (see {@link RecentReads.canRemember}). */
  remember(value: V): void {
    const key = this.#missedKey;
    if (key === undefined) return;
    this.#missedKey = undefined;
    if (this.#entries.size >= this.#maxEntries) this.#entries.clear();
    const entry: Entry<V> = { values: this.#missedValues, value };
    this.#entries.set(key, entry);
    this.#last = entry;
  }

  #counted(entry: Entry<V> | undefined): V | undefined {
    if (entry !== undefined) this.#hits++;
    if (++this.#lookups === this.#window) {
      if (this.#hits < this.#minHits) {
        this.#aside = this.#pause;
        this.#entries.clear();
        this.#seenOnce.clear();
        this.#last = undefined;
        this.#missedKey = undefined;
      }
      this.#lookups = 0;
      this.#hits = 0;
    }
    return entry?.value;
  }
}

function sameValues(a: readonly (string | undefined)[], b: readonly (string | undefined)[], count: number): boolean {
  for (let i = 0; i < count; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Each value behind its length as two characters: no two different lists of values share a key. */
function keyOf(values: readonly (string | undefined)[], count: number): string {
  let key = '';
  for (let i = 0; i < count; i++) {
    const value = values[i];
    key += value === undefined ? ABSENT_MARK : String.fromCharCode(value.length & 0xff, value.length >>> 8) + value;
  }
  return key;
}
