/**
 * What a failure comment says beyond the error's message: how to fix it
 * (the `hint` of swe-bot's errors) and, when an image build failed, the end
 * of its log — a maintainer should not need access to the worker's machine
 * to see why `npm ci` failed.
 */
import { findSweBotError, ImageBuildError } from '../errors.ts';
import { codeFence } from '../util/markdown.ts';
import { tailLines } from '../util/output-cap.ts';

/** Lines of a build log a failure comment shows. */
export const FAILURE_LOG_LINES = 40;
/** Characters of that log at most (long lines: minified output, progress bars). */
export const FAILURE_LOG_MAX_CHARS = 6_000;

/** Markdown to append to a failure message; empty when there is nothing to add. */
export function failureDetails(error: unknown): string {
  const known = findSweBotError(error);
  if (known === undefined) return '';
  const parts: string[] = [];
  if (known.hint) parts.push(`**What to do:** ${known.hint}`);
  if (known instanceof ImageBuildError && known.logTail.trim() !== '') {
    let log = tailLines(known.logTail, FAILURE_LOG_LINES);
    if (log.length > FAILURE_LOG_MAX_CHARS) log = `…${log.slice(log.length - FAILURE_LOG_MAX_CHARS)}`;
    parts.push(
      `<details><summary>The end of the build log${known.command === undefined ? '' : ` (\`${known.command.replaceAll('`', "'")}\`)`}</summary>\n\n` +
        `${codeFence(log, 'text')}\n\n</details>`,
    );
  }
  return parts.join('\n\n');
}
