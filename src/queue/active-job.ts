/**
 * A job while it runs in this process, and the context its processor gets.
 * Classes, not object literals with getters: one of each is made per job, and
 * the child logger is made only when something is logged.
 */
import type { Job } from 'bullmq';
import type { Logger } from '../logger.ts';
import type { CancelReason } from './control-keys.ts';
import type { FixJobData, QueueName, ReviewJobData } from './job-data.ts';
import type { Slot } from './installation-leases.ts';
import type { JobContext } from './job-context.ts';

/** A job running in this process. */
export class ActiveJob {
  readonly controller = new AbortController();
  /** The installation slot the job holds (renewed on the timer, released at the end). */
  slot: Slot | undefined = undefined;
  stop: { why: 'cancelled'; reason: CancelReason } | { why: 'shutdown' } | { why: 'lock_lost' } | undefined = undefined;
  /**
   * Fires when the job's BullMQ lock has gone unrenewed for nearly its
   * duration; each renewal restarts it (`refresh()`). Set by the workers.
   */
  lockTimer: NodeJS.Timeout | undefined = undefined;
  readonly queue: QueueName;
  readonly jobId: string;
  readonly timestamp: number;
  readonly attempt: number;
  /** `<queue>:<jobId>`: the key of the workers' registry of running jobs. */
  readonly key: string;
  /** The installation's lease set. */
  readonly leasesKey: string;
  /** The job's cancel flag. */
  readonly cancelKey: string;
  readonly data: FixJobData | ReviewJobData;
  #parentLogger: Logger;
  #logger: Logger | undefined;

  constructor(
    queue: QueueName,
    job: Job,
    data: FixJobData | ReviewJobData,
    keys: { key: string; leasesKey: string; cancelKey: string },
    parentLogger: Logger,
  ) {
    this.queue = queue;
    this.jobId = job.id ?? '';
    this.timestamp = job.timestamp;
    this.attempt = job.attemptsMade + 1;
    this.data = data;
    this.key = keys.key;
    this.leasesKey = keys.leasesKey;
    this.cancelKey = keys.cancelKey;
    this.#parentLogger = parentLogger;
  }

  /** Made on first use: a child logger serializes its bindings, a good part of this layer's cost per job when nothing is logged. */
  get logger(): Logger {
    return (this.#logger ??= this.#parentLogger.child({
      queue: this.queue,
      jobId: this.jobId,
      deliveryId: this.data.deliveryId,
      repo: `${this.data.repository.owner}/${this.data.repository.name}`,
      installationId: this.data.installationId,
      attempt: this.attempt,
    }));
  }
}

/** What the processor gets; `logger` delegates to the job's lazily made one. */
export class Context implements JobContext {
  readonly jobId: string;
  readonly attempt: number;
  readonly signal: AbortSignal;
  isLatestHead?: () => Promise<boolean>;
  #entry: ActiveJob;

  constructor(entry: ActiveJob) {
    this.jobId = entry.jobId;
    this.attempt = entry.attempt;
    this.signal = entry.controller.signal;
    this.#entry = entry;
  }

  get logger(): Logger {
    return this.#entry.logger;
  }
}
