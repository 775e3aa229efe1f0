/** The processors the workers run: one per queue (src/queue/job-workers.ts). */
import type { FixJobData, ReviewJobData } from '../queue/job-data.ts';
import type { Processor } from '../queue/job-context.ts';
import { runEvaluateJob } from './evaluate-job.ts';
import { runFixJob } from './fix-job.ts';
import { runReviewJob } from './review-job.ts';
import { runSetupJob } from './setup-job.ts';
import type { WorkerDeps } from './worker-deps.ts';

export type { WorkerDeps } from './worker-deps.ts';

export function createJobProcessors(deps: WorkerDeps): { fix: Processor<FixJobData>; review: Processor<ReviewJobData> } {
  return {
    fix: (data, ctx) => {
      if (data.trigger === 'setup') return runSetupJob(deps, data, ctx);
      if (data.trigger === 'evaluate') return runEvaluateJob(deps, data, ctx);
      return runFixJob(deps, data, ctx);
    },
    review: (data, ctx) => runReviewJob(deps, data, ctx),
  };
}
