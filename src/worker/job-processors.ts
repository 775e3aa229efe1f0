/** The processors the workers run: one per queue (src/queue/job-workers.ts). */
import type { FixJobData, ReviewJobData } from '../queue/job-data.ts';
import type { Processor } from '../queue/job-workers.ts';
import { runFixJob } from './fix-job.ts';
import type { JobRunnerDeps } from './job-runner-deps.ts';
import { runReviewJob } from './review-job.ts';

export type { JobRunnerDeps } from './job-runner-deps.ts';

export function createJobProcessors(deps: JobRunnerDeps): { fix: Processor<FixJobData>; review: Processor<ReviewJobData> } {
  return {
    fix: (data, ctx) => runFixJob(deps, data, ctx),
    review: (data, ctx) => runReviewJob(deps, data, ctx),
  };
}
