/**
 * Code spans in a paragraph of untrusted markdown (./untrusted-inline.ts):
 * a run of backticks opens one that the next run of the same length closes
 * (https://github.github.com/gfm/#code-spans). Only spans this reading is
 * sure GitHub has too are kept: closed on their own line, without a `|`
 * (a table cell may end inside one).
 */

export interface Runs {
  /** Backtick run length → the runs of that length, in order. */
  byLength: Map<number, { start: number; line: number }[]>;
  /** Line number of each offset's line start (sorted), to tell lines apart. */
  lineStarts: number[];
}

/** The paragraph's maximal backtick runs, for finding closers in logarithmic time (a paragraph may hold thousands). */
export function backtickRuns(text: string): Runs {
  const byLength = new Map<number, { start: number; line: number }[]>();
  const lineStarts = [0];
  let line = 0;
  for (let i = 0; i < text.length; ) {
    if (text[i] === '\n') {
      line += 1;
      lineStarts.push(i + 1);
      i += 1;
    } else if (text[i] === '`') {
      const length = runLength(text, i);
      const list = byLength.get(length) ?? [];
      list.push({ start: i, line });
      byLength.set(length, list);
      i += length;
    } else {
      i += 1;
    }
  }
  return { byLength, lineStarts };
}

export function runLength(text: string, at: number): number {
  let end = at;
  while (text[end] === '`') end += 1;
  return end - at;
}

/** The end of the code span a run of `length` backticks at `at` opens, when it may be kept (see above). */
export function codeSpanEnd(text: string, runs: Runs, at: number, length: number): number | undefined {
  const list = runs.byLength.get(length) ?? [];
  // The first run of that length starting after this one.
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (list[middle]!.start < at + length) low = middle + 1;
    else high = middle;
  }
  const closer = list[low];
  if (closer === undefined || closer.line !== lineOf(runs, at)) return undefined;
  if (text.slice(at + length, closer.start).includes('|')) return undefined;
  return closer.start + length;
}

function lineOf(runs: Runs, offset: number): number {
  let low = 0;
  let high = runs.lineStarts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (runs.lineStarts[middle]! <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
