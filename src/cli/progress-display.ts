/**
 * Progress on stderr for the commands. On a terminal, status lines are
 * redrawn in place (carriage return, cursor up, erase line); elsewhere (CI
 * logs, pipes, files) each change worth keeping is a plain line of its own,
 * so logs stay short and readable.
 *
 * - {@link liveLines}: the terminal primitive, a block of keyed lines redrawn in place.
 * - {@link progressBar}: `████░░░░` for counts.
 * - {@link pipelineDisplay}: a fix or review pipeline's {@link ProgressEvent}s, one
 *   line for the pipeline and one per candidate.
 */
import type { ProgressEvent, ProgressListener } from '../jobs/progress.ts';

/** What the display writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; lines are cut to it so in-place redraws stay aligned. */
  columns?: number;
}

/** True when the stream is a terminal, where lines can be redrawn. */
export function isTerminal(stream: ProgressStream): boolean {
  return stream.isTTY === true;
}

const ERASE_LINE = '\x1b[2K';
const up = (lines: number): string => (lines > 0 ? `\x1b[${lines}A` : '');

export interface LiveLines {
  /** Sets the line of `key` (new keys go below the others) and redraws. */
  set(key: string, text: string): void;
  /** Leaves the lines on screen and moves below them; the next `set` starts a new block. */
  end(): void;
}

/**
 * A block of status lines on a terminal, redrawn in place on every change:
 * back to the block's first line, then each line erased and written again.
 * The cursor stays at the end of the last line until `end()`.
 */
export function liveLines(stream: ProgressStream): LiveLines {
  const lines = new Map<string, string>();
  let drawn = 0;
  const fit = (text: string): string => {
    const width = stream.columns;
    if (width === undefined || width < 2) return text;
    const chars = [...text];
    return chars.length < width ? text : `${chars.slice(0, width - 2).join('')}…`;
  };
  return {
    set(key, text) {
      if (lines.get(key) === text) return;
      lines.set(key, text);
      const body = [...lines.values()].map((line) => `${ERASE_LINE}${fit(line)}`).join('\n');
      stream.write(`\r${up(drawn - 1)}${body}`);
      drawn = lines.size;
    },
    end() {
      if (drawn > 0) stream.write('\n');
      drawn = 0;
      lines.clear();
    },
  };
}

/** A bar of `width` cells, filled in proportion to done / total. */
export function progressBar(done: number, total: number, width = 24): string {
  const filled = total <= 0 ? width : Math.min(width, Math.max(0, Math.round((done / total) * width)));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export interface PipelineDisplay {
  /** Give this to the pipeline (`onProgress`). */
  listener: ProgressListener;
  /** Call when the pipeline has ended (or failed): the terminal block is closed. */
  end(): void;
}

/** The text of an event, e.g. `candidate 1 · agent: step 3: execute_bash`. */
export function describeProgress(event: ProgressEvent, prefix = ''): string {
  const who = event.candidate === undefined ? '' : `candidate ${event.candidate} · `;
  return `${prefix}${who}${event.stage}: ${event.message}`;
}

/**
 * Draws a pipeline's progress on `stream`. On a terminal: a line for the
 * pipeline's own stages (environment, baseline), one per candidate updated at
 * every agent step, and one for the outcome. Elsewhere: a plain line per
 * event, agent steps left out. `prefix` starts every line (e.g. the instance
 * of `swe-bot infer`).
 */
export function pipelineDisplay(stream: ProgressStream, options: { prefix?: string } = {}): PipelineDisplay {
  const prefix = options.prefix ?? '';
  if (!isTerminal(stream)) {
    return {
      listener: (event) => {
        if (event.step === undefined) stream.write(`${describeProgress(event, prefix)}\n`);
      },
      end: () => undefined,
    };
  }
  const live = liveLines(stream);
  return {
    listener: (event) => {
      const key = event.stage === 'done' ? 'done' : event.candidate === undefined ? 'pipeline' : `candidate ${event.candidate}`;
      live.set(key, describeProgress(event, prefix));
    },
    end: () => live.end(),
  };
}
