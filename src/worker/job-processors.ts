/** The processors the workers run: one per queue (src/queue/job-workers.ts). */
import type { FixJobData, ReviewJobData } from '../queue/job-data.ts';
import type { Processor } from '../queue/job-context.ts';
import { runFixJob } from './fix-job.ts';
import { runReviewJob } from './review-job.ts';
import { runSetupJob } from './setup-job.ts';
import type { WorkerDeps } from './worker-deps.ts';

export type { WorkerDeps } from './worker-deps.ts';

export function createJobProcessors(deps: WorkerDeps): { fix: Processor<FixJobData>; review: Processor<ReviewJobData> } {
  return {
    fix: (data, ctx) => (data.trigger === 'setup' ? runSetupJob(deps, data, ctx) : runFixJob(deps, data, ctx)),
    review: (data, ctx) => runReviewJob(deps, data, ctx),
  };
}
