/**
 * The text a job works from (issue #12): the or pull request's title
 * and body as they were when a permitted sender asked, recorded in the job
 * (src/queue/job-data.ts), not whatever they say by the time the job runs.
 * Anyone who can edit the issue (its author, for one) could otherwise
 * change the task after a maintainer read it and asked.
 *
 * The job fetches the current text and compares its hash with the recorded
 * one: the same, and the current text is used whole (the recorded copy may
 * be cut); different, and the recorded text is used, with a notice for the
 * status comment and the report. A job queued by a version that recorded
 * nothing uses the current text, as before.
 */
import { ASKED_BODY_MAX_BYTES, askedTextSha256, type AskedText } from '../queue/job-data.ts';

export interface WorkingText {
  title: string;
  body: string;
  /** What the comment that asked says after its command line (the asker's own words), when it says more. */
  request?: string;
  /** Says that the text was edited after the request and which text was used; absent when it was not. */
  notice?: string;
}

export interface AskedAbout {
  kind: 'issue' | 'pull request';
  /** What was asked for: `fix`, `review`. */
  job: string;
  /** Who asked (the job's `requestedBy`). */
  requestedBy: string;
}

export function workingText(recorded: AskedText | undefined, current: { title: string; body?: string | null | undefined }, about: AskedAbout): WorkingText {
  if (recorded === undefined) return { title: current.title, body: current.body ?? '' };
  const request = requestOf(recorded);
  const extra = request === undefined ? {} : { request };
  if (askedTextSha256(current.title, current.body) === recorded.sha256) return { title: current.title, body: current.body ?? '', ...extra };
  const cut = recorded.cut ? `, its body cut to the first ${ASKED_BODY_MAX_BYTES / 1024} KiB` : '';
  const notice =
    `The ${about.kind} was edited after @${about.requestedBy} asked for this ${about.job}; ` +
    `swe-bot worked from its title and ${about.kind === 'issue' ? 'body' : 'description'} as they were when asked (sha256 \`${recorded.sha256}\`${cut}).`;
  return { title: recorded.title, body: recorded.body, ...extra, notice };
}

/** The comment that asked, without its command line; undefined when nothing follows the command. */
function requestOf(recorded: AskedText): string | undefined {
  const comment = recorded.comment;
  if (comment === undefined) return undefined;
  const lines = comment.body.split('\n');
  const command = lines.findIndex((line) => line.trim() !== '');
  const rest = lines.slice(command + 1).join('\n').trim();
  if (rest === '') return undefined;
  return comment.cut ? `${rest}\n… (the comment was cut here)` : rest;
}

/**
 * The body handed to the model, which shows it as a reader sees it, fenced
 * as untrusted data: the body, then the asker's own words, if any. (Only the
 * comment that asked: no other comment on the issue reaches the model.)
 */
export function bodyForModel(text: WorkingText, requestedBy: string): string {
  const request = text.request === undefined ? '' : `\n\n---\n@${requestedBy}, who asked for this, added:\n\n${text.request}`;
  return `${text.body.trim()}${request}`;
}
