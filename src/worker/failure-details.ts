/**
 * What a failure comment says beyond the error's message: how to fix it
 * (the `hint` of swe-bot's errors) and, when an image build failed, the end
 * of its log, or when no recipe ran the tests, each recipe tried with the end
 * of its log — a maintainer should not need access to the worker's machine
 * to see why `npm ci` failed.
 */
import { findSweBotError, ImageBuildError, NoTestRecipeError } from '../errors.ts';
import { codeFence } from '../util/markdown.ts';
import { egressRefusedSection } from './egress-report.ts';
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
  if (known instanceof ImageBuildError && known.egressRefused.length > 0) parts.push(egressRefusedSection(known.egressRefused));
  if (known instanceof ImageBuildError && known.logTail.trim() !== '') {
    parts.push(logDetails(`The end of the build log${known.command === undefined ? '' : ` (\`${known.command.replaceAll('`', "'")}\`)`}`, known.logTail));
  }
  if (known instanceof NoTestRecipeError) {
    // Each recipe tried, with the end of its log: what a maintainer needs to write the right one.
    for (const [index, attempt] of known.attempts.entries()) {
      if (attempt.logTail.trim() !== '') parts.push(logDetails(`Recipe ${index + 1}: ${attempt.recipe}: ${attempt.problem}`, attempt.logTail));
    }
  }
  return parts.join('\n\n');
}

function logDetails(summary: string, logTail: string): string {
  let log = tailLines(logTail, FAILURE_LOG_LINES);
  if (log.length > FAILURE_LOG_MAX_CHARS) log = `…${log.slice(log.length - FAILURE_LOG_MAX_CHARS)}`;
  return `<details><summary>${summary}</summary>\n\n${codeFence(log, 'text')}\n\n</details>`;
}
