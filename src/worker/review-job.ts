/**
 * A review job of the App, top to bottom (design.md §1, §5):
 * skip a head that a newer push replaced → the configuration of the base
 * branch → progress shown (👀, status comment, check run) → base and head
 * cloned on the host → the review pipeline (src/jobs/review.ts), limited to
 * what changed since the app's last review of this pull request → one review
 * per head commit, and the check run completed with the test results.
 */
import { loadRepoConfigFromGitHub } from '../github/load-repo-config.ts';
import { lastReviewedHead, publishReview } from '../github/publish-review.ts';
import { runReview } from '../jobs/review.ts';
import { checkRunExternalId, type ReviewJobData } from '../queue/job-data.ts';
import type { JobContext } from '../queue/job-context.ts';
import { bodyForModel, workingText } from './asked-text.ts';
import { withJobRun } from './job-run.ts';
import { reviewBody, reviewCheck } from './review-report.ts';
import type { WorkerDeps } from './worker-deps.ts';

/** Check run name of reviews. */
export const REVIEW_CHECK_NAME = 'swe-bot review';

export interface ReviewJobOutcome {
  status: 'reviewed' | 'superseded' | 'disabled' | 'already_reviewed';
  comments?: number;
}

export async function runReviewJob(deps: WorkerDeps, data: ReviewJobData, ctx: JobContext): Promise<ReviewJobOutcome> {
  const { owner, name: repo } = data.repository;
  const { number, headSha, baseSha } = data.pullRequest;
  if (ctx.isLatestHead && !(await ctx.isLatestHead())) return { status: 'superseded' };
  const octokit = await deps.github.installation(data.installationId);
  // The base branch's configuration: a pull request does not configure its own review.
  const { config } = await loadRepoConfigFromGitHub(octokit, { owner, repo, ref: baseSha });
  if (!config.review.enabled) return { status: 'disabled' };
  const appSlug = await deps.github.appSlug();
  const since = await lastReviewedHead(octokit, { owner, repo, pullNumber: number, appSlug });
  if (since === headSha) return { status: 'already_reviewed' };
  // The title and description as they were when the review was asked for, unless unchanged since (./asked-text.ts).
  const current = (await octokit.rest.pulls.get({ owner, repo, pull_number: number })).data;
  const pull = workingText(data.text, current, { kind: 'pull request', job: 'review', requestedBy: data.requestedBy });

  const progress = { number, headSha, kind: 'review', checkName: REVIEW_CHECK_NAME, appSlug, externalId: checkRunExternalId.review(number) } as const;
  const intro = `swe-bot is reviewing ${headSha.slice(0, 12)} and running the tests.`;
  return withJobRun(deps, data, ctx, { octokit, progress, intro, notice: pull.notice }, async ({ reporter, pipeline, dir, clone }) => {
    reporter.stage('environment', 'fetching the pull request');
    // A fork's head is also served by the base repository (as refs/pull/N/head), so one clone holds both.
    // With their history (depth 0), not the two commits alone: the diff starts at their merge base, and an
    // incremental review needs the last reviewed head as an ancestor of this one (runReview asks git for both).
    await clone([baseSha, headSha], { depth: 0 });

    const description = bodyForModel(pull, data.requestedBy);
    const result = await runReview(pipeline, {
      repoDir: dir,
      name: `${owner}/${repo}`,
      base: baseSha,
      head: headSha,
      title: pull.title,
      ...(description === '' ? {} : { description }),
      environment: config.environment,
      maxComments: config.review.max_comments,
      ...(since === undefined ? {} : { since }),
      job: ctx.jobId,
      signal: ctx.signal,
      onProgress: (event) => reporter.stage(event.stage, event.message),
    });
    deps.metrics?.tokens(result.model.tokens.prompt, result.model.tokens.completion);
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (ctx.isLatestHead && !(await ctx.isLatestHead())) {
      await reporter.finish({ conclusion: 'cancelled', title: 'Superseded', summary: 'A newer push replaced this head; its review follows.' });
      return { status: 'superseded' };
    }

    reporter.stage('publish', 'posting the review');
    const body = pull.notice === undefined ? reviewBody(result, deps.model.name) : `${pull.notice}\n\n${reviewBody(result, deps.model.name)}`;
    await publishReview(octokit, { owner, repo, pullNumber: number, headSha, body, comments: result.comments, appSlug });
    const check = reviewCheck(result);
    await reporter.finish({ ...check, comment: `Reviewed ${headSha.slice(0, 12)}: ${result.comments.length} inline comment(s). ${check.summary}` });
    return { status: 'reviewed', comments: result.comments.length };
  });
}
