/**
 * A fix job of the App, top to bottom (design.md §1, §5):
 * the issue and the configuration from GitHub → progress shown (👀, one
 * status comment, one check run) → the repository cloned on the host with a
 * read-only token for it alone → the fix pipeline (src/jobs/fix.ts) in
 * containers → a pull request with the evidence when a candidate is
 * verified (or a draft when the configuration asks), otherwise a comment
 * saying what was tried.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.ts';
import { cloneRepository } from '../github/clone.ts';
import { loadRepoConfigFromGitHub } from '../github/load-repo-config.ts';
import { createProgressReporter } from '../github/progress-reporter.ts';
import { publishFix } from '../github/publish-fix.ts';
import type { FixJobData } from '../queue/job-data.ts';
import { jobErrorKind } from '../queue/job-error-kind.ts';
import type { JobContext } from '../queue/job-workers.ts';
import { runFix } from '../jobs/fix.ts';
import { failureDetails } from './failure-details.ts';
import { fixNotVerified, fixPullRequest, fixSummary } from './fix-report.ts';
import type { JobRunnerDeps } from './job-runner-deps.ts';
import { patchFiles } from './patch-files.ts';

/** Check run name of fixes. */
export const FIX_CHECK_NAME = 'swe-bot fix';

export interface FixJobOutcome {
  verdict: string;
  pullRequest?: { number: number; url: string; created: boolean };
}

export async function runFixJob(deps: JobRunnerDeps, data: FixJobData, ctx: JobContext): Promise<FixJobOutcome> {
  const { owner, name: repo, defaultBranch } = data.repository;
  const issueNumber = data.issue.number;
  const octokit = await deps.installation(data.installationId);
  const issue = (await octokit.rest.issues.get({ owner, repo, issue_number: issueNumber })).data;
  const { config } = await loadRepoConfigFromGitHub(octokit, { owner, repo });
  const baseSha = (await octokit.rest.repos.getBranch({ owner, repo, branch: defaultBranch })).data.commit.sha;
  const reporter = createProgressReporter(octokit, {
    owner,
    repo,
    number: issueNumber,
    headSha: baseSha,
    kind: 'fix',
    checkName: FIX_CHECK_NAME,
    appSlug: await deps.appSlug(),
    logger: ctx.logger,
  });
  await reporter.start(`swe-bot is drafting a fix for #${issueNumber} (requested by @${data.requestedBy}).`);
  const dir = path.join(deps.workDir, `${ctx.jobId}-${ctx.attempt}`);
  try {
    reporter.stage('environment', 'fetching the repository');
    const token = await deps.cloneToken(data.installationId, data.repository.id);
    await cloneRepository({ cloneUrl: data.repository.cloneUrl, token, dir, commits: [baseSha], logger: ctx.logger });

    const result = await runFix(
      { sandbox: deps.sandbox, client: deps.model.client, format: deps.model.format, logger: ctx.logger },
      {
        source: { repoDir: dir, commit: baseSha, name: `${owner}/${repo}` },
        issue: `${issue.title}\n\n${issue.body ?? ''}`.trim(),
        environment: config.environment,
        candidates: config.fix.candidates,
        maxIterations: config.fix.max_iterations,
        job: ctx.jobId,
        signal: ctx.signal,
        onProgress: (event) => reporter.stage(event.stage, event.message),
      },
    );
    deps.metrics?.tokens(result.tokens.prompt, result.tokens.completion);
    if (ctx.signal.aborted) throw ctx.signal.reason;

    const report = { issueNumber, issueTitle: issue.title, model: deps.model.name };
    const publish = result.verdict === 'verified' || (config.fix.draft && (result.verdict === 'plausible' || result.verdict === 'regression'));
    if (!publish) {
      await reporter.finish({ conclusion: 'neutral', title: 'No verified fix', summary: fixSummary(result), comment: fixNotVerified(result, report) });
      return { verdict: result.verdict };
    }
    reporter.stage('publish', 'opening the pull request');
    const files = await patchFiles(dir, baseSha, result.patch);
    const pr = fixPullRequest(result, report);
    const published = await publishFix(octokit, {
      owner,
      repo,
      issueNumber,
      baseSha,
      baseBranch: defaultBranch,
      files,
      commitMessage: pr.commitMessage,
      title: pr.title,
      body: pr.body,
      draft: result.verdict !== 'verified',
    });
    await reporter.finish({
      conclusion: result.verdict === 'verified' ? 'success' : 'neutral',
      title: result.verdict === 'verified' ? 'Verified fix' : 'Draft fix (not verified)',
      summary: fixSummary(result, published.pullRequest.url),
      comment: `${fixSummary(result, published.pullRequest.url)}\n\n${pr.body.split('\n').slice(2).join('\n')}`,
    });
    return { verdict: result.verdict, pullRequest: { ...published.pullRequest, created: published.created } };
  } catch (error) {
    await reportFailure(reporter, error, ctx);
    throw error;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Tells the user why the job stopped: cancelled, failed for good, or failed for now (it will be retried). */
export async function reportFailure(
  reporter: {
    finish(result: { conclusion: 'cancelled' | 'failure' | 'neutral'; title: string; summary: string; comment?: string; stopped?: boolean }): Promise<void>;
  },
  error: unknown,
  ctx: JobContext,
): Promise<void> {
  // An abort is a cancel (permanent: `/autofix cancel`, a newer push) or a
  // worker shutting down (transient: the job goes back to the queue and runs
  // again). The same rule as the queue's (src/queue/job-error-kind.ts), so
  // the message matches what happens next.
  const cause: unknown = ctx.signal.aborted ? ctx.signal.reason : error;
  const message = describeError(cause);
  const retried = jobErrorKind(cause) === 'transient';
  const cancelled = ctx.signal.aborted && !retried;
  const details = ctx.signal.aborted ? '' : failureDetails(cause);
  const summary = cancelled
    ? `Stopped: ${message}`
    : ctx.signal.aborted
      ? `Paused: ${message}`
      : `Failed: ${message}${retried ? '\n\nThis looks temporary; swe-bot will try again.' : ''}${details === '' ? '' : `\n\n${details}`}`;
  const title = cancelled ? 'Cancelled' : ctx.signal.aborted ? 'Paused; it will run again' : 'Failed';
  await reporter
    .finish({ conclusion: cancelled ? 'cancelled' : retried ? 'neutral' : 'failure', title, summary, comment: summary, stopped: true })
    .catch((reportError: unknown) => ctx.logger.warn({ err: describeError(reportError) }, 'cannot report the failure'));
}
