/**
 * A fix job of the App, top to bottom (design.md §1, §5):
 * the issue (as it was when asked: ./asked-text.ts) and the configuration
 * from GitHub → progress shown (👀, one
 * status comment, one check run) → the repository cloned on the host with a
 * read-only token for it alone → the fix pipeline (src/jobs/fix.ts) in
 * containers → a pull request with the evidence when a candidate is
 * verified (or a draft when the configuration asks), otherwise a comment
 * saying what was tried. With SWE_BOT_KEEP_TRAJECTORIES_DAYS set, the
 * conversations stay under the data folder as training data
 * (./kept-trajectories.ts), pruned after each job (./trajectory-retention.ts).
 */
import { describeError } from '../errors.ts';
import { loadRepoConfigFromGitHub } from '../github/load-repo-config.ts';
import { publishFix } from '../github/publish-fix.ts';
import { runFix } from '../jobs/fix.ts';
import type { Logger } from '../logger.ts';
import type { FixJobData } from '../queue/job-data.ts';
import type { JobContext } from '../queue/job-context.ts';
import { bodyForModel, workingText } from './asked-text.ts';
import { fixNotVerified, fixPullRequest, fixSummary } from './fix-report.ts';
import { withJobRun } from './job-run.ts';
import { keepTrajectories } from './kept-trajectories.ts';
import { patchFiles } from './patch-files.ts';
import { pruneTrajectories } from './trajectory-retention.ts';
import type { WorkerDeps } from './worker-deps.ts';

/** Check run name of fixes. */
export const FIX_CHECK_NAME = 'swe-bot fix';

export interface FixJobOutcome {
  verdict: string;
  pullRequest?: { number: number; url: string; created: boolean };
}

export async function runFixJob(deps: WorkerDeps, data: FixJobData, ctx: JobContext): Promise<FixJobOutcome> {
  const { owner, name: repo, defaultBranch } = data.repository;
  const issueNumber = data.issue.number;
  const octokit = await deps.github.installation(data.installationId);
  // The issue as it was when asked, unless it is unchanged since (./asked-text.ts).
  const current = (await octokit.rest.issues.get({ owner, repo, issue_number: issueNumber })).data;
  const issue = workingText(data.text, current, { kind: 'issue', job: 'fix', requestedBy: data.requestedBy });
  const { config } = await loadRepoConfigFromGitHub(octokit, { owner, repo });
  const baseSha = (await octokit.rest.repos.getBranch({ owner, repo, branch: defaultBranch })).data.commit.sha;
  const progress = {
    number: issueNumber,
    headSha: baseSha,
    kind: 'fix',
    checkName: FIX_CHECK_NAME,
    appSlug: await deps.github.appSlug(),
    commentId: data.issue.commentId,
  } as const;
  const intro = `swe-bot is drafting a fix for #${issueNumber} (requested by @${data.requestedBy}).`;
  return withJobRun(deps, data, ctx, { octokit, progress, intro, notice: issue.notice }, async ({ reporter, pipeline, dir, clone }) => {
    reporter.stage('environment', 'fetching the repository');
    await clone([baseSha]);

    // Off (the default), nothing is written: no outDir, no folder.
    const kept = await keepTrajectories(deps.trajectories, { owner, repo, issueNumber, jobId: ctx.jobId, deliveryId: data.deliveryId });
    const result = await runFix(pipeline, {
      ...(kept === undefined ? {} : { outDir: kept.outDir }),
      source: { repoDir: dir, commit: baseSha, name: `${owner}/${repo}` },
      issue: `${issue.title}\n\n${bodyForModel(issue, data.requestedBy)}`.trim(),
      environment: config.environment,
      candidates: config.fix.candidates,
      maxIterations: config.fix.max_iterations,
      job: ctx.jobId,
      signal: ctx.signal,
      onProgress: (event) => reporter.stage(event.stage, event.message),
    });
    deps.metrics?.tokens(result.tokens.prompt, result.tokens.completion);
    await kept?.finish({ commit: baseSha, model: deps.model.name });
    if (ctx.signal.aborted) throw ctx.signal.reason;

    const report = { issueNumber, issueTitle: issue.title, model: deps.model.name, notice: issue.notice };
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
  }).finally(() => pruneKept(deps, ctx.logger));
}

/** Kept conversations past their days go after each fix job, whatever its outcome; a prune that fails is logged, never the job's failure. */
async function pruneKept(deps: WorkerDeps, logger: Logger): Promise<void> {
  if (deps.trajectories === undefined) return;
  try {
    const { removed } = await pruneTrajectories(deps.trajectories);
    if (removed.length > 0) logger.info({ removed: removed.length }, 'kept trajectories past their retention removed');
  } catch (error) {
    logger.warn({ err: describeError(error) }, 'cannot prune the kept trajectories');
  }
}
