/**
 * Mutual exclusion by name: `withLock(key, fn)` runs `fn` while no other
 * holder of `key` runs, for read-then-write steps that must not interleave
 * (find a comment by its marker, else create it). The service's lock is in
 * Redis (src/queue/redis-lock.ts), so it holds across processes; the one
 * here holds within one process, for code run without Redis.
 */

export interface KeyedLock {
  /** Runs `fn` holding `key`; resolves or rejects with `fn`'s outcome. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** A lock within this process: callers of one key run one after the other, in call order. */
export function createLocalLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async withLock(key, fn) {
      const before = tails.get(key) ?? Promise.resolve();
      const run = before.then(fn, fn);
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await run;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
