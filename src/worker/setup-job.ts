/**
 * A setup job of the App (`/swe-bot setup` on an issue or pull request), top
 * to bottom: the configuration and the default branch's tip from GitHub →
 * progress shown (👀, one status comment) → the repository cloned with a
 * read-only token → the setup pipeline (src/jobs/setup.ts) confirms the test
 * commands by a baseline that counts → a pull request that pins them in
 * `.github/swe-bot.yml`, or, when they are configured already, a comment
 * that says so. The App never commits them on its own.
 */
import { CONFIG_PATH, loadRepoConfigFromGitHub } from '../github/load-repo-config.ts';
import { publishPullRequest } from '../github/publish-fix.ts';
import { runSetup } from '../jobs/setup.ts';
import type { FixJobData } from '../queue/job-data.ts';
import type { JobContext } from '../queue/job-context.ts';
import { withJobRun } from './job-run.ts';
import { alreadyPinned, pinnedConfig, setupPullRequest, setupSummary } from './setup-report.ts';
import type { WorkerDeps } from './worker-deps.ts';

/** The pull request's branch: one per repository, moved by each `/swe-bot setup`. */
export const SETUP_BRANCH = 'swe-bot/setup';

export interface SetupJobOutcome {
  status: 'already_pinned' | 'published';
  pullRequest?: { number: number; url: string; created: boolean };
}

export async function runSetupJob(deps: WorkerDeps, data: FixJobData, ctx: JobContext): Promise<SetupJobOutcome> {
  const { owner, name: repo, defaultBranch } = data.repository;
  const number = data.issue.number;
  const octokit = await deps.github.installation(data.installationId);
  const { config } = await loadRepoConfigFromGitHub(octokit, { owner, repo });
  const baseSha = (await octokit.rest.repos.getBranch({ owner, repo, branch: defaultBranch })).data.commit.sha;
  // No check run: the job is about the repository, not about a commit anyone is reviewing.
  const progress = { number, kind: 'setup', checkName: 'swe-bot setup', appSlug: await deps.github.appSlug(), commentId: data.issue.commentId } as const;
  const intro = `swe-bot is working out how this repository's tests run, to offer them for \`${CONFIG_PATH}\` (asked by @${data.requestedBy}).`;
  return withJobRun(deps, data, ctx, { octokit, progress, intro }, async ({ reporter, pipeline, dir, clone }) => {
    reporter.stage('environment', 'fetching the repository');
    await clone([baseSha]);
    const result = await runSetup(pipeline, {
      source: { repoDir: dir, commit: baseSha, name: `${owner}/${repo}` },
      environment: config.environment,
      job: ctx.jobId,
      signal: ctx.signal,
      onProgress: (event) => reporter.stage(event.stage, event.message),
    });
    if (ctx.signal.aborted) throw ctx.signal.reason;

    const { origin } = result.environment;
    if (origin.setup === 'configuration' && origin.test === 'configuration') {
      const text = alreadyPinned(result, baseSha);
      await reporter.finish({ conclusion: 'success', title: 'Already pinned', summary: text, comment: text });
      return { status: 'already_pinned' };
    }
    // The repository's own file (not the organisation's defaults), edited in place.
    const current = result.currentConfig;
    reporter.stage('publish', 'opening the pull request');
    const pr = setupPullRequest(result, { commit: baseSha, number, hadConfig: current !== undefined });
    const published = await publishPullRequest(octokit, {
      owner,
      repo,
      branch: SETUP_BRANCH,
      baseSha,
      baseBranch: defaultBranch,
      files: [{ path: CONFIG_PATH, content: Buffer.from(pinnedConfig(current, result.environment)) }],
      commitMessage: pr.commitMessage,
      title: pr.title,
      body: pr.body,
      draft: false,
    });
    const summary = setupSummary(result, published.pullRequest.url);
    await reporter.finish({ conclusion: 'success', title: 'Test commands confirmed', summary, comment: `${summary}\n\n${pr.body.split('\n').slice(1).join('\n')}` });
    return { status: 'published', pullRequest: { ...published.pullRequest, created: published.created } };
  });
}
