/**
 * The sequences of GitHub calls the end-to-end tests of the App expect, and
 * the helpers that make a recorded sequence comparable: progress edits left
 * out, split between the webhook handler and the job.
 */
import type { GitHubRequest } from './github-api.ts';

/** Publishing a first fix through the Git Data API: one commit (two files), a new branch, a new pull request. */
export const PUBLISH_NEW_PULL_REQUEST = [
  'git/get-commit',
  'git/create-blob',
  'git/create-blob',
  'git/create-tree',
  'git/create-commit',
  'git/get-ref',
  'git/create-ref',
  'pulls/list',
  'pulls/create',
] as const;

/**
 * What a webhook handler may ask GitHub when it acts on a repository it saw
 * less than a minute ago: nothing (it caches the configuration and the
 * sender's permission for 60 s, src/app/intake.ts and authorize.ts), or,
 * once those caches ran out (a slow machine, a long job in between), these
 * reads again.
 */
export const HANDLER_READS = ['repos/get-content', 'repos/get-collaborator-permission-level'];

/**
 * Whether a request is a progress edit: the status comment rewritten with
 * the stage list (👀 …) other than by `start` (which edits an earlier run's
 * comment right after looking it up), or the check run's output replaced
 * while it runs (no `status`: `start` sends `in_progress`, `finish` sends
 * `completed`).
 */
export function isProgressEdit(request: GitHubRequest, previous: GitHubRequest | undefined): boolean {
  const body = request.body as { body?: string; status?: string; output?: { annotations?: unknown[] } } | undefined;
  if (request.operationId === 'issues/update-comment') {
    return previous?.operationId !== 'issues/list-comments' && /^<!--[^\n]*-->\n👀 /.test(body?.body ?? '');
  }
  return request.operationId === 'checks/update' && body?.status === undefined && body?.output?.annotations === undefined;
}

/**
 * The operation ids in order, with the progress edits made while a job ran
 * left out (the issue asks for them collapsed: here they are taken out of
 * the sequence and returned beside it). The reporter writes at most one edit
 * per 5 s, when a stage changes, so how many there are (none, on a fast run)
 * and between which other calls they land (they run on a timer, possibly
 * while publishing is under way) depends on the machine's speed. Everything
 * else stays, in order: the start, the final status comment and the check
 * run's completion, which `finish` writes after everything else.
 */
export function withoutProgressEdits(requests: GitHubRequest[]): { operations: string[]; edits: GitHubRequest[] } {
  const edits = requests.filter((request, index) => isProgressEdit(request, requests[index - 1]));
  const operations = requests.filter((request) => !edits.includes(request)).map((request) => request.operationId ?? `${request.method} ${request.path}`);
  return { operations, edits };
}

/** Splits `operations` at the first one `isJobStart` picks: what the webhook handler asked, and what the job did. */
export function splitAtJob(requests: GitHubRequest[], isJobStart: (request: GitHubRequest) => boolean): { handler: string[]; job: GitHubRequest[] } {
  const start = requests.findIndex(isJobStart);
  if (start === -1) throw new Error(`no job call among: ${requests.map((r) => r.operationId).join(', ')}`);
  return { handler: requests.slice(0, start).map((r) => r.operationId ?? `${r.method} ${r.path}`), job: requests.slice(start) };
}
