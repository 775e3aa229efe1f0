/** What the webhook handlers (fix-requests.ts, review-requests.ts) are given, and the steps they share. */
import type { Logger } from '../logger.ts';
import type { RepositoryRef } from '../queue/job-data.ts';
import type { EnqueueResult, JobIntake } from '../queue/job-queues.ts';
import type { RequestGate } from './request-gate.ts';

export interface HandlerDeps {
  /** Configuration and permission, checked (and refusals posted) before anything is queued. */
  gate: RequestGate;
  /** The queues: enqueue (delivery recorded in the same step) and cancel. */
  queue: JobIntake;
  /** The app's slug: its check runs and comments are `<slug>[bot]`'s. */
  appSlug(): Promise<string>;
}

/** The payload fields the handlers read about a repository. */
export interface PayloadRepository {
  id: number;
  name: string;
  owner: { login: string };
  clone_url: string;
  default_branch: string;
}

export function repositoryRef(repository: PayloadRepository): RepositoryRef {
  return {
    id: repository.id,
    owner: repository.owner.login,
    name: repository.name,
    cloneUrl: repository.clone_url,
    defaultBranch: repository.default_branch,
  };
}

/** The one line per request (the queue layer logs its own at debug); a redelivered webhook says so instead. */
export function logEnqueued(log: Logger, result: EnqueueResult, fields: Record<string, unknown>, message: string): void {
  if (result.status === 'redelivered') log.info({ jobId: result.jobId }, 'delivery already handled');
  else log.info({ ...result, ...fields }, message);
}
