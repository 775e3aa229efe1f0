/**
 * What a fix job and a review job share once they know they will run
 * (design.md §5): progress shown on GitHub (👀, one status comment, one check
 * run), a work folder of their own for the clone, the failure told to the
 * user the way the queue will treat it, and the folder removed whatever
 * happens.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.ts';
import { abortMeaning, errorKind } from '../error-kind.ts';
import { cloneRepository } from '../github/clone.ts';
import type { GitHubClient } from '../github/client.ts';
import { createProgressReporter, type ProgressReporter, type ProgressReporterOptions } from '../github/progress-reporter.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import { STAGES } from '../jobs/progress.ts';
import type { JobContext } from '../queue/job-context.ts';
import type { FixJobData, ReviewJobData } from '../queue/job-data.ts';
import { failureDetails } from './failure-details.ts';
import type { WorkerDeps } from './worker-deps.ts';

/** What the job's body gets. */
export interface JobRun {
  reporter: ProgressReporter;
  /** The job's deps for the pipeline, with its own logger. */
  pipeline: PipelineDeps;
  /** An empty folder of this attempt, for the clone; removed when the job ends. */
  dir: string;
  /** Clones the job's repository into {@link dir} with a token that can only read it. */
  clone: (commits: string[], options?: { depth?: number }) => Promise<void>;
}

export interface JobRunOptions {
  octokit: GitHubClient;
  /** Where progress is shown: the issue or pull request, and the commit of the check run. */
  progress: Pick<ProgressReporterOptions, 'number' | 'headSha' | 'kind' | 'checkName' | 'appSlug' | 'externalId' | 'commentId'>;
  /** The status comment's first line. */
  intro: string;
  /**
   * A paragraph the status comment shows from start to end, failures
   * included, and the check run's summary too (./asked-text.ts: the text
   * asked about was edited, and the job worked from the text as asked).
   */
  notice?: string | undefined;
}

/** Runs `body` with progress on GitHub and a work folder; on a failure, tells the user, then rethrows for the queue. */
export async function withJobRun<T>(
  deps: WorkerDeps,
  data: FixJobData | ReviewJobData,
  ctx: JobContext,
  options: JobRunOptions,
  body: (run: JobRun) => Promise<T>,
): Promise<T> {
  const { owner, name: repo } = data.repository;
  const created = createProgressReporter(options.octokit, { ...options.progress, owner, repo, stages: STAGES, logger: ctx.logger, commentLock: deps.commentLock });
  const reporter = options.notice === undefined ? created : withNotice(created, options.notice);
  await reporter.start(options.notice === undefined ? options.intro : `${options.intro}\n\n${options.notice}`);
  const dir = path.join(deps.workDir, `${ctx.jobId}-${ctx.attempt}`);
  const run: JobRun = {
    reporter,
    pipeline: { sandbox: deps.sandbox, model: deps.model, logger: ctx.logger, ...(deps.redactor ? { redactor: deps.redactor } : {}) },
    dir,
    async clone(commits, cloneOptions = {}) {
      const token = await deps.github.cloneToken(data.installationId, data.repository.id);
      await cloneRepository({ cloneUrl: data.repository.cloneUrl, token, dir, commits, ...cloneOptions, logger: ctx.logger });
    },
  };
  try {
    return await body(run);
  } catch (error) {
    await reportFailure(reporter, error, ctx);
    throw error;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** `reporter`, whose final comment and check-run summary start with `notice` (once: a report that quotes it already is left alone). */
export function withNotice(reporter: ProgressReporter, notice: string): ProgressReporter {
  return {
    ...reporter,
    finish: (result) => {
      const comment = result.comment ?? result.summary;
      return reporter.finish({
        ...result,
        summary: result.summary.includes(notice) ? result.summary : `${notice}\n\n${result.summary}`,
        comment: comment.includes(notice) ? comment : `${notice}\n\n${comment}`,
      });
    },
  };
}

/** Tells the user why the job stopped: cancelled, failed for good, or failed for now (it will be retried). */
export async function reportFailure(reporter: Pick<ProgressReporter, 'finish'>, error: unknown, ctx: JobContext): Promise<void> {
  // What the user reads matches what happens next: the queue's rule for
  // errors and the same reading of an abort (src/error-kind.ts).
  const aborted = abortMeaning(ctx.signal);
  // The run that lost the job's lock says nothing: the run that took the job
  // over reuses the unfinished check run and the status comment.
  if (aborted === 'lost') return;
  const cause: unknown = aborted ? ctx.signal.reason : error;
  const message = describeError(cause);
  const retried = aborted ? aborted === 'paused' : errorKind(error) === 'transient';
  const cancelled = aborted === 'cancelled';
  const details = aborted ? '' : failureDetails(cause);
  const summary = cancelled
    ? `Stopped: ${message}`
    : aborted
      ? `Paused: ${message}`
      : `Failed: ${message}${retried ? '\n\nThis looks temporary; swe-bot will try again.' : ''}${details === '' ? '' : `\n\n${details}`}`;
  const title = cancelled ? 'Cancelled' : aborted ? 'Paused; it will run again' : 'Failed';
  await reporter
    .finish({ conclusion: cancelled ? 'cancelled' : retried ? 'neutral' : 'failure', title, summary, comment: summary, stopped: true })
    .catch((reportError: unknown) => ctx.logger.warn({ err: describeError(reportError) }, 'cannot report the failure'));
}
