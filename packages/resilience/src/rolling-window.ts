/**
 * Call and failure counts over the last `windowMs`, in `buckets` slots.
 * Time is passed in (no timer): stale slots are cleared lazily as the clock
 * moves on. Memory: two small typed arrays per window.
 */
export class RollingWindow {
  readonly #bucketMs: number;
  readonly #calls: Uint32Array;
  readonly #failures: Uint32Array;
  #index = -1; // -1: nothing counted yet
  /** Calls counted in the window. */
  calls = 0;
  /** Failures counted in the window. */
  failures = 0;

  constructor(windowMs: number, buckets: number) {
    this.#bucketMs = windowMs / buckets;
    this.#calls = new Uint32Array(buckets);
    this.#failures = new Uint32Array(buckets);
  }

  /** Counts one call at `now`. */
  record(now: number, failed: boolean): void {
    const slot = this.#advance(now);
    this.#calls[slot] = (this.#calls[slot] as number) + 1;
    this.calls++;
    if (failed) {
      this.#failures[slot] = (this.#failures[slot] as number) + 1;
      this.failures++;
    }
  }

  /** Brings the window to `now` (drops what fell out of it). */
  refresh(now: number): void {
    this.#advance(now);
  }

  /** Forgets everything. */
  reset(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.calls = this.failures = 0;
  }

  #advance(now: number): number {
    const n = this.#calls.length;
    const index = Math.floor(now / this.#bucketMs);
    if (index !== this.#index) {
      const steps = this.#index === -1 ? n : Math.min(index - this.#index, n);
      for (let i = 1; i <= steps; i++) {
        const slot = (((index - steps + i) % n) + n) % n;
        this.calls -= this.#calls[slot] as number;
        this.failures -= this.#failures[slot] as number;
        this.#calls[slot] = 0;
        this.#failures[slot] = 0;
      }
      this.#index = index;
    }
    return ((index % n) + n) % n;
  }
}
