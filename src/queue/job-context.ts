/**
 * The job contract's other half, beside job-data.ts: what a processor is
 * handed when its job runs. The workers (job-workers.ts, active-job.ts)
 * implement it and the App's runners (src/worker) consume it, so it lives in
 * a module of its own that imports neither side.
 */
import type { Logger } from '../logger.ts';

/** What a processor gets beside the job data. */
export interface JobContext {
  jobId: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /**
   * Aborted when the job is cancelled (`/autofix cancel`, a newer push) or the
   * worker shuts down. The processor stops and cleans up (containers are
   * removed in the pipelines' `finally`); what it throws then does not matter.
   * `signal.reason` is a `SweBotError` saying why.
   */
  signal: AbortSignal;
  /** A child logger with `jobId`, `deliveryId`, `repo`, `queue`, `installationId`, `attempt`. */
  logger: Logger;
  /** Review jobs only: false once a newer head of the pull request was queued; check before publishing. */
  isLatestHead?(): Promise<boolean>;
}

/** The function a queue's worker runs for each job. */
export type Processor<T> = (data: T, ctx: JobContext) => Promise<unknown>;
