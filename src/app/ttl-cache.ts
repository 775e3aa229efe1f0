/**
 * A small time-bounded cache of promises: concurrent lookups of one key
 * share one request, failures are not cached, entries expire after `ttlMs`.
 * It keeps webhook handlers fast under bursts (design.md §5: answer well
 * within GitHub's 10 s) without trusting stale answers for long.
 */

/** Entries kept at most; the oldest go first. */
export const TTL_CACHE_MAX_ENTRIES = 10_000;

export class TtlCache<T> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { value: Promise<T>; expires: number }>();

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.expires > now) return hit.value;
    const value = load();
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    if (this.#entries.size > TTL_CACHE_MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }
}
