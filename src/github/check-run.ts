/**
 * The app's check run on a commit (design.md §5): created `in_progress`,
 * its output updated as the job goes, completed with a conclusion and
 * annotations. A retried job finds the run it started before (same app,
 * name and commit, not yet completed) instead of adding a second one.
 * https://docs.github.com/en/rest/checks/runs
 */
import type { GitHubClient } from './client.ts';
import { truncateText } from './truncate-text.ts';

/** GitHub's limit for `output.summary` and `output.text`. */
export const CHECK_RUN_TEXT_MAX_CHARS = 65_535;
/** GitHub takes at most 50 annotations per request; more are sent in further updates, which append. */
export const ANNOTATIONS_PER_REQUEST = 50;

export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'action_required' | 'skipped' | 'timed_out';

export interface CheckRunOutput {
  title: string;
  /** Markdown; cut to 65535 characters. */
  summary: string;
  /** Markdown; cut to 65535 characters. */
  text?: string;
}

/** https://docs.github.com/en/rest/checks/runs#update-a-check-run (`output.annotations`). */
export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  /** Only when `start_line === end_line`; dropped otherwise (GitHub rejects them). */
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckRunRef {
  owner: string;
  repo: string;
  id: number;
}

export interface StartedCheckRun extends CheckRunRef {
  url: string;
  /** False when an earlier, unfinished run of the app was reused. */
  created: boolean;
}

export interface StartCheckRunInput {
  owner: string;
  repo: string;
  /** The check's name as shown on the commit, e.g. `swe-bot review`. */
  name: string;
  headSha: string;
  /** The app's slug; only its own runs are reused. */
  appSlug: string;
  /** Our reference for the run (a job id), stored by GitHub. */
  externalId?: string;
  /** A page with details, linked from the check. */
  detailsUrl?: string;
  output?: CheckRunOutput;
}

/** The app's latest unfinished check run named `name` on `headSha`, if any. */
export async function findCheckRun(
  octokit: GitHubClient,
  where: { owner: string; repo: string; name: string; headSha: string; appSlug: string },
): Promise<{ id: number; url: string; status: string } | undefined> {
  // https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
  const { data } = await octokit.rest.checks.listForRef({
    owner: where.owner,
    repo: where.repo,
    ref: where.headSha,
    check_name: where.name,
    filter: 'all',
    per_page: 100,
  });
  const mine = data.check_runs
    .filter((run) => run.app?.slug === where.appSlug && run.head_sha === where.headSha && run.name === where.name)
    .sort((a, b) => b.id - a.id)[0];
  return mine === undefined ? undefined : { id: mine.id, url: mine.html_url ?? mine.url, status: mine.status };
}

/**
 * Creates the run `in_progress`, or reuses the app's unfinished run of the
 * same name on the same commit. A completed run is left alone (it is the
 * record of an earlier attempt; GitHub shows the newest run of a name).
 */
export async function startCheckRun(octokit: GitHubClient, input: StartCheckRunInput): Promise<StartedCheckRun> {
  const { owner, repo } = input;
  const existing = await findCheckRun(octokit, input);
  if (existing !== undefined && existing.status !== 'completed') {
    await octokit.rest.checks.update({
      owner,
      repo,
      check_run_id: existing.id,
      status: 'in_progress',
      ...(input.detailsUrl === undefined ? {} : { details_url: input.detailsUrl }),
      ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
      ...(input.output === undefined ? {} : { output: fitOutput(input.output) }),
    });
    return { owner, repo, id: existing.id, url: existing.url, created: false };
  }
  const { data } = await octokit.rest.checks.create({
    owner,
    repo,
    name: input.name,
    head_sha: input.headSha,
    status: 'in_progress',
    started_at: new Date().toISOString(),
    ...(input.detailsUrl === undefined ? {} : { details_url: input.detailsUrl }),
    ...(input.externalId === undefined ? {} : { external_id: input.externalId }),
    ...(input.output === undefined ? {} : { output: fitOutput(input.output) }),
  });
  return { owner, repo, id: data.id, url: data.html_url ?? data.url, created: true };
}

/** Replaces the run's output (title, summary, text). */
export async function updateCheckRun(octokit: GitHubClient, run: CheckRunRef, output: CheckRunOutput): Promise<void> {
  await octokit.rest.checks.update({ owner: run.owner, repo: run.repo, check_run_id: run.id, output: fitOutput(output) });
}

export interface CompleteCheckRunInput {
  conclusion: CheckConclusion;
  output: CheckRunOutput;
  annotations?: CheckAnnotation[];
  detailsUrl?: string;
}

/**
 * Completes the run. The first 50 annotations go with the completing update,
 * the rest in further updates of at most 50 each (GitHub appends them); every
 * update repeats the same output so the last one leaves it as intended.
 */
export async function completeCheckRun(octokit: GitHubClient, run: CheckRunRef, input: CompleteCheckRunInput): Promise<void> {
  const output = fitOutput(input.output);
  const annotations = (input.annotations ?? []).map(fitAnnotation);
  const batches: CheckAnnotation[][] = [];
  for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) batches.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const [first = [], ...rest] = batches;
  await octokit.rest.checks.update({
    owner: run.owner,
    repo: run.repo,
    check_run_id: run.id,
    status: 'completed',
    conclusion: input.conclusion,
    completed_at: new Date().toISOString(),
    ...(input.detailsUrl === undefined ? {} : { details_url: input.detailsUrl }),
    output: { ...output, ...(first.length > 0 ? { annotations: first } : {}) },
  });
  for (const batch of rest) {
    await octokit.rest.checks.update({ owner: run.owner, repo: run.repo, check_run_id: run.id, output: { ...output, annotations: batch } });
  }
}

function fitOutput(output: CheckRunOutput): CheckRunOutput {
  return {
    title: output.title,
    summary: truncateText(output.summary, CHECK_RUN_TEXT_MAX_CHARS),
    ...(output.text === undefined ? {} : { text: truncateText(output.text, CHECK_RUN_TEXT_MAX_CHARS) }),
  };
}

/** Columns only on one-line annotations, as GitHub requires; messages within 64 KB. */
function fitAnnotation(annotation: CheckAnnotation): CheckAnnotation {
  const { start_column, end_column, ...rest } = annotation;
  const oneLine = annotation.start_line === annotation.end_line;
  return {
    ...rest,
    message: truncateText(annotation.message, CHECK_RUN_TEXT_MAX_CHARS),
    ...(rest.raw_details === undefined ? {} : { raw_details: truncateText(rest.raw_details, CHECK_RUN_TEXT_MAX_CHARS) }),
    ...(oneLine && start_column !== undefined ? { start_column } : {}),
    ...(oneLine && end_column !== undefined ? { end_column } : {}),
  };
}
