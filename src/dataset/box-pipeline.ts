/**
 * Containers for a loop of short test runs (`swe-bot smith`'s candidates),
 * one ahead: the next container is created and started while the current
 * one's tests run, and a finished one is removed in the background, so the
 * loop waits for the tests only. Two containers live at once at most, plus
 * those being removed.
 */

interface Removable {
  remove(): Promise<void>;
}

/**
 * Containers for the candidates, one ahead: `take(more)` gives the one
 * started before (or starts one) and, when `more` candidates follow, starts
 * the next; `discard` removes one without waiting; `close` waits for every
 * removal and removes the one started ahead and not taken.
 */
export function boxPipeline<T extends Removable>(start: () => Promise<T>): { take(more: boolean): Promise<T>; discard(box: T): void; close(): Promise<void> } {
  let ahead: Promise<T> | undefined;
  const removals: Promise<unknown>[] = [];
  const begin = (): Promise<T> => {
    const box = start();
    // Handled here so a failed start ahead is not an unhandled rejection; `take` still sees the failure.
    box.catch(() => undefined);
    return box;
  };
  return {
    take(more) {
      const box = ahead ?? begin();
      ahead = more ? begin() : undefined;
      return box;
    },
    discard(box) {
      removals.push(box.remove().catch(() => undefined));
    },
    async close() {
      if (ahead !== undefined) removals.push(ahead.then((box) => box.remove()).catch(() => undefined));
      ahead = undefined;
      await Promise.all(removals);
    },
  };
}
