/**
 * One shared, coarse (1 ms) timer for every pending timeout in the process.
 *
 * A `setTimeout` per call costs ~0.5–1 µs to create and clear; here a call
 * links an entry into the bucket of its expiry millisecond (O(1)) and unlinks
 * it when it settles (O(1)). One unref'd Node timer is armed for the earliest
 * non-empty bucket, so a process under load wakes about once per timeout
 * period instead of once per call, and an idle process holds no timer.
 */

/** Something the wheel can expire; the wheel owns the link fields. */
export interface WheelEntry {
  /** @internal list links, owned by the wheel. */
  wheelNext: WheelEntry | null;
  /** @internal */
  wheelPrev: WheelEntry | null;
  /** @internal the bucket holding this entry, or null when not scheduled. */
  wheelBucket: Bucket | null;
  /** Called once, from the wheel's timer, when the entry's time has come. */
  expire(): void;
}

/** @internal */
export class Bucket {
  head: WheelEntry | null = null;
  size = 0;
  live = true;
  constructor(readonly at: number) {}
}

const MAX_TIMER_MS = 2 ** 31 - 1;

class TimerWheel {
  #buckets = new Map<number, Bucket>();
  // Min-heap of bucket keys; a key whose bucket was dropped is skipped lazily.
  #heap: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #armedAt = Number.POSITIVE_INFINITY;
  #last: Bucket | undefined;
  #fire = (): void => this.#onTimer();

  /** Number of entries scheduled (for leak tests). */
  get pending(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.size;
    return n;
  }

  /** Schedules `entry` to expire at `expiresAt` (`performance.now()` clock). */
  add(entry: WheelEntry, expiresAt: number): void {
    const at = Math.ceil(expiresAt);
    let bucket = this.#last;
    if (bucket === undefined || bucket.at !== at || !bucket.live) {
      bucket = this.#buckets.get(at);
      if (bucket === undefined) {
        bucket = new Bucket(at);
        this.#buckets.set(at, bucket);
        this.#push(at);
      }
      this.#last = bucket;
    }
    const head = bucket.head;
    entry.wheelNext = head;
    entry.wheelPrev = null;
    if (head !== null) head.wheelPrev = entry;
    bucket.head = entry;
    bucket.size++;
    entry.wheelBucket = bucket;
    if (at < this.#armedAt) this.#arm(at);
  }

  /** Unschedules `entry`; a no-op when it is not scheduled. */
  remove(entry: WheelEntry): void {
    const bucket = entry.wheelBucket;
    if (bucket === null) return;
    const { wheelPrev: prev, wheelNext: next } = entry;
    if (prev === null) bucket.head = next;
    else prev.wheelNext = next;
    if (next !== null) next.wheelPrev = prev;
    entry.wheelNext = entry.wheelPrev = entry.wheelBucket = null;
    bucket.size--;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = at;
    const delay = Math.min(Math.max(at - performance.now(), 0), MAX_TIMER_MS);
    this.#timer = setTimeout(this.#fire, delay);
    // A pending timeout must never keep the process alive on its own.
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const heap = this.#heap;
    while (heap.length > 0) {
      const at = heap[0] as number;
      const bucket = this.#buckets.get(at);
      // Empty buckets ahead of time are dropped too: calls that settled early
      // must not cost a wake-up.
      if (bucket !== undefined && bucket.size > 0 && at > now) break;
      this.#pop();
      if (bucket === undefined) continue;
      this.#buckets.delete(at);
      bucket.live = false;
      let entry = bucket.head;
      bucket.head = null;
      bucket.size = 0;
      while (entry !== null) {
        const next = entry.wheelNext;
        entry.wheelNext = entry.wheelPrev = entry.wheelBucket = null;
        entry.expire();
        entry = next;
      }
    }
    if (heap.length > 0) this.#arm(heap[0] as number);
  }

  #push(key: number): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(key);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (p <= key) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = key;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && (heap[r] as number) < (heap[l] as number) ? r : l;
      if ((heap[c] as number) >= last) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  }
}

// One wheel per process, shared by every copy of this package.
const WHEEL_KEY = Symbol.for('dyeline.resilience.timer-wheel.v1');
type GlobalWithWheel = typeof globalThis & { [WHEEL_KEY]?: TimerWheel };

/** The process-wide timer wheel. */
export function timerWheel(): TimerWheel {
  const g = globalThis as GlobalWithWheel;
  let wheel = g[WHEEL_KEY];
  if (wheel === undefined) {
    wheel = new TimerWheel();
    Object.defineProperty(g, WHEEL_KEY, { value: wheel, enumerable: false });
  }
  return wheel;
}

export type { TimerWheel };
