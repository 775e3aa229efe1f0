/**
 * An evaluation job of the App (`/swe-bot evaluate [N]` on an issue or pull
 * request, issue #13), top to bottom: the configuration and the default
 * branch's tip from GitHub → progress shown (👀, one status comment) → the
 * repository cloned with a read-only token → N bugs synthesized there and
 * kept when its tests catch them, each fixed by the fix pipeline from its
 * issue text alone and graded by those tests (src/dataset/smith-evaluation.ts)
 * → the solve rate, overall and per bug kind, in the status comment.
 *
 * Nothing is published but the comment. The dataset, predictions and
 * trajectories stay in the App's data folder (one folder per repository,
 * replaced by the next evaluation), for `swe-bot evaluate` and
 * `swe-bot export-trajectories` on the server.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runSmithEvaluation } from '../dataset/smith-evaluation.ts';
import { loadRepoConfigFromGitHub } from '../github/load-repo-config.ts';
import type { FixJobData } from '../queue/job-data.ts';
import type { JobContext } from '../queue/job-context.ts';
import { evaluationReport } from './evaluate-report.ts';
import { withJobRun } from './job-run.ts';
import type { WorkerDeps } from './worker-deps.ts';

/** Bugs when the job data names none (jobs enqueued before `bugs` existed never do: evaluate is new). */
const DEFAULT_BUGS = 10;

export interface EvaluateJobOutcome {
  bugs: number;
  resolved: number;
  commit: string;
}

export async function runEvaluateJob(deps: WorkerDeps, data: FixJobData, ctx: JobContext): Promise<EvaluateJobOutcome> {
  const { owner, name: repo, defaultBranch } = data.repository;
  const number = data.issue.number;
  const bugs = data.bugs ?? DEFAULT_BUGS;
  const octokit = await deps.github.installation(data.installationId);
  const { config } = await loadRepoConfigFromGitHub(octokit, { owner, repo });
  const commit = (await octokit.rest.repos.getBranch({ owner, repo, branch: defaultBranch })).data.commit.sha;
  // No check run: the job measures the model on the repository, it judges no commit.
  const progress = { number, kind: 'evaluate', checkName: 'swe-bot evaluate', appSlug: await deps.github.appSlug(), commentId: data.issue.commentId } as const;
  const intro = `swe-bot is measuring how well ${deps.model.name} fixes bugs in this repository: ${bugs} bug(s) made in \`${defaultBranch}\` at ${commit.slice(0, 12)}, each kept only when the tests catch it (asked by @${data.requestedBy}).`;
  return withJobRun(deps, data, ctx, { octokit, progress, intro }, async ({ reporter, pipeline, dir, clone }) => {
    reporter.stage('environment', 'fetching the repository');
    await clone([commit]);
    const kept = deps.evaluationsDir !== undefined;
    const outDir = deps.evaluationsDir === undefined ? `${dir}-evaluation` : path.join(deps.evaluationsDir, `${owner}__${repo}`);
    const result = await runSmithEvaluation(pipeline, {
      source: { repoDir: dir, commit, name: `${owner}/${repo}` },
      repo: `${owner}/${repo}`,
      environment: config.environment,
      count: bugs,
      outDir,
      job: ctx.jobId,
      signal: ctx.signal,
      onProgress: (event) => reporter.stage(event.stage, event.message),
    }).finally(async () => {
      if (!kept) await fs.rm(outDir, { recursive: true, force: true });
    });
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const report = evaluationReport(result, { commit, model: deps.model.name, asked: bugs, kept });
    await reporter.finish({ conclusion: report.conclusion, title: report.title, summary: report.text, comment: report.text });
    return { bugs: result.smith.bugs.length, resolved: result.report.resolved_ids.length, commit };
  });
}
