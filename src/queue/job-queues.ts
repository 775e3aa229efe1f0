/**
 * The producer side of the queue layer (design.md §1): what the webhook
 * handlers call. Queues `fix` and `review` on BullMQ
 * (https://docs.bullmq.io/guide/queues), one job per issue and per
 * pull-request head at a time, thanks to deterministic job ids
 * (https://docs.bullmq.io/guide/jobs/job-ids).
 *
 * Dedupe rules:
 * - the same issue (or the same head) never runs twice at once: adding an id
 *   that is waiting, delayed or active reports `duplicate` and adds nothing;
 * - a finished job does not block a re-run: a completed or failed job under
 *   the same id is removed and the new one added (finished jobs stay under
 *   their id for the dashboard until then, within the removeOnComplete /
 *   removeOnFail limits below);
 * - a redelivered webhook does not run again after its job finished:
 *   delivery ids are remembered for a day, recorded in the same atomic step
 *   as the add (src/queue/job-adder.ts), for fixes and reviews alike;
 * - a newer head of a pull request supersedes the review of the older one:
 *   removed while it waits, cancelled when it runs.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { SweBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  cancelValue,
  controlKeys,
  DEFAULT_PREFIX,
  type CancelMessage,
  type CancelReason,
  type ControlKeys,
} from './control-keys.ts';
import { createJobAdder, type DeliveryAddStatus, type DeliveryRecord, type JobAdder } from './job-adder.ts';
import { FixJobSchema, jobId, QUEUE, ReviewJobSchema, type FixJobData, type QueueName, type ReviewJobData } from './job-data.ts';

/** How long a delivery id is remembered: GitHub lets people redeliver for days, but automatic retries come within hours. */
export const DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a cancel request waits for its job (a job over its installation's cap may sit delayed for a while). */
export const CANCEL_FLAG_TTL_MS = 24 * 60 * 60 * 1000;
/** How long the latest reviewed head of a pull request is remembered after its last push. */
export const REVIEW_HEAD_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Finished jobs kept for the dashboard (BullMQ's KeepJobs takes seconds). */
const KEEP_COMPLETED = { age: 24 * 60 * 60, count: 1000 };
const KEEP_FAILED = { age: 7 * 24 * 60 * 60, count: 1000 };

export interface JobQueuesOptions {
  /** The queues share it and duplicate it once for swe-bot's own keys; the caller closes it. */
  connection: Redis;
  /** Key prefix of BullMQ's keys and ours. Default `swe-bot`. Workers must use the same. */
  prefix?: string;
  logger: Logger;
  /** Runs per job, the first included, when errors are transient. Default 3. */
  attempts?: number;
  /** First retry delay; each retry doubles it (BullMQ's `exponential` backoff). Default 30 000 ms. */
  backoffMs?: number;
}

export interface EnqueueResult {
  jobId: string;
  /**
   * - `queued`: added;
   * - `duplicate`: a job with this id is already waiting, delayed or running; nothing was added;
   * - `redelivered`: the webhook delivery had been recorded before; nothing was looked at or added.
   */
  status: DeliveryAddStatus;
  /** A review only: the review of the previous head of the same pull request, when there was one. */
  superseded?: CancelResult;
}

export interface CancelResult {
  jobId: string;
  /**
   * - `removed`: it was waiting or delayed and is gone;
   * - `signalled`: it is running; its worker aborts its signal (within a second) and it ends without retry;
   * - `finished`: it had already completed or failed;
   * - `not_found`: no job has this id.
   */
  outcome: 'removed' | 'signalled' | 'finished' | 'not_found';
}

export type JobCounts = Record<'waiting' | 'active' | 'delayed' | 'prioritized' | 'completed' | 'failed', number>;

/** What the webhook handlers use of the queues (src/app): the queue port. */
export type JobIntake = Pick<JobQueues, 'enqueueFix' | 'enqueueReview' | 'cancel'>;

export interface JobQueues {
  /**
   * Records `data.deliveryId` (for {@link DELIVERY_TTL_MS}) and adds the job
   * under its deterministic id in one atomic step (one Redis round trip):
   * `redelivered` when the delivery had been recorded before, and then
   * nothing is added; the delivery is recorded only together with its job
   * being added or found, so a failed add leaves GitHub's retry free to run.
   */
  enqueueFix(data: FixJobData): Promise<EnqueueResult>;
  /** As {@link enqueueFix}; a newer head then supersedes the review of the older one. */
  enqueueReview(data: ReviewJobData): Promise<EnqueueResult>;
  cancel(queue: QueueName, jobId: string, reason?: CancelReason): Promise<CancelResult>;
  /** Jobs by state per queue, for /metrics. */
  counts(): Promise<Record<QueueName, JobCounts>>;
  /** The BullMQ queues, for dashboards and tests. */
  readonly queues: Readonly<Record<QueueName, Queue>>;
  readonly keys: ControlKeys;
  close(): Promise<void>;
}

export function createJobQueues(options: JobQueuesOptions): JobQueues {
  const { connection } = options;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const keys = controlKeys(prefix);
  const logger = options.logger.child({ component: 'queue' });
  /**
   * Whether the per-job lines are written (checked once: the level is set at
   * start-up). Debug: the webhook handlers log one info line per request
   * with the same fields, and a line costs about 10 µs on the webhook path.
   */
  const verbose = options.logger.isLevelEnabled('debug');
  const defaultJobOptions: JobsOptions = {
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 30_000 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
  const queues: Record<QueueName, Queue> = {
    fix: new Queue(QUEUE.fix, { connection, prefix, defaultJobOptions }),
    review: new Queue(QUEUE.review, { connection, prefix, defaultJobOptions }),
  };
  for (const queue of Object.values(queues)) {
    queue.on('error', (error) => logger.error({ err: error, queue: queue.name }, 'queue error'));
  }
  // Our own commands (read-backs, flags, delivery ids) on a connection of
  // their own with auto-pipelining, so those issued in the same tick share one
  // socket write (https://github.com/redis/ioredis#autopipelining): a burst of
  // webhooks costs BullMQ's adds and little more.
  const control = connection.duplicate({ enableAutoPipelining: true });
  control.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  const adders: Record<QueueName, JobAdder> = {
    fix: createJobAdder(queues.fix, control, defaultJobOptions),
    review: createJobAdder(queues.review, control, defaultJobOptions),
  };

  async function cancel(name: QueueName, id: string, reason: CancelReason = 'requested'): Promise<CancelResult> {
    const queue = queues[name];
    const job = await queue.getJob(id);
    if (!job) return { jobId: id, outcome: 'not_found' };
    let state = await job.getState();
    if (state !== 'active' && state !== 'completed' && state !== 'failed' && state !== 'unknown') {
      // Waiting or delayed: nothing runs yet, remove it. Fails when a worker
      // took it in between (it is locked then): signal it instead.
      if ((await queue.remove(id)) === 1) return { jobId: id, outcome: 'removed' };
      state = await job.getState();
    }
    if (state === 'completed' || state === 'failed') return { jobId: id, outcome: 'finished' };
    if (state === 'unknown') return { jobId: id, outcome: 'not_found' };
    // Running (or moving between states): a flag for this run of the id, which
    // the worker reads when it starts the job and on every lease renewal, and a
    // message that reaches the worker at once (see job-workers.ts).
    const message: CancelMessage = { queue: name, jobId: id, reason };
    await control
      .multi()
      .set(keys.cancel(name, id), cancelValue(job.timestamp, reason), 'PX', CANCEL_FLAG_TTL_MS)
      .publish(keys.cancelChannel, JSON.stringify(message))
      .exec();
    return { jobId: id, outcome: 'signalled' };
  }

  return {
    queues,
    keys,

    async enqueueFix(input) {
      const data = parse(FixJobSchema, input, 'fix');
      // A setup or evaluate job runs in the fix queue (same workers, same limits), one per repository at a time.
      const id =
        data.trigger === 'setup' ? jobId.setup(data.repository.id) : data.trigger === 'evaluate' ? jobId.evaluate(data.repository.id) : jobId.fix(data.repository.id, data.issue.number);
      const status = await adders.fix.addForDelivery(id, data, deliveryRecord(data));
      if (verbose) logger.debug({ jobId: id, deliveryId: data.deliveryId, repo: repoName(data), status }, 'fix enqueued');
      return { jobId: id, status };
    },

    async enqueueReview(input) {
      const data = parse(ReviewJobSchema, input, 'review');
      const { repository, pullRequest } = data;
      const id = jobId.review(repository.id, pullRequest.number, pullRequest.headSha);
      // A push or a /review names the pull request's current head: it is
      // recorded with the add (a redelivery records nothing), so the worker
      // of an older head sees it is superseded. A re-run of an older
      // commit's check run does not name the current head, and must not
      // supersede. The head before is read first, to cancel its review; two
      // pushes racing here may both read the same one, and the worker's own
      // check (isLatestHead) still stops the older review.
      const headKey = keys.reviewHead(repository.id, pullRequest.number);
      const latest = data.trigger !== 'rerequest';
      const previous = latest ? await control.get(headKey) : null;
      const mark = latest ? { mark: { key: headKey, value: pullRequest.headSha, ttlMs: REVIEW_HEAD_TTL_MS } } : {};
      const status = await adders.review.addForDelivery(id, data, { ...deliveryRecord(data), ...mark });
      const result: EnqueueResult = { jobId: id, status };
      if (status !== 'redelivered' && previous !== null && previous !== pullRequest.headSha) {
        result.superseded = await cancel(QUEUE.review, jobId.review(repository.id, pullRequest.number, previous), 'superseded');
      }
      if (verbose) {
        logger.debug({ jobId: id, deliveryId: data.deliveryId, repo: repoName(data), status, superseded: result.superseded }, 'review enqueued');
      }
      return result;
    },

    async cancel(name, id, reason) {
      const result = await cancel(name, id, reason);
      logger.info({ queue: name, ...result, reason: reason ?? 'requested' }, 'cancel');
      return result;
    },

    async counts() {
      const entries = await Promise.all(
        Object.entries(queues).map(async ([name, queue]) => {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
          return [name, countsOf(counts)] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<QueueName, JobCounts>;
    },

    async close() {
      await Promise.all(Object.values(queues).map((queue) => queue.close()));
      await control.quit().catch(() => control.disconnect());
    },
  };

  function deliveryRecord(data: FixJobData | ReviewJobData): DeliveryRecord {
    return { key: keys.delivery(data.deliveryId), ttlMs: DELIVERY_TTL_MS };
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, name: QueueName): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new SweBotError(`invalid ${name} job data: ${z.prettifyError(parsed.error)}`, { kind: 'permanent', code: 'job_data_invalid' });
}

function repoName(data: FixJobData | ReviewJobData): string {
  return `${data.repository.owner}/${data.repository.name}`;
}

function countsOf(counts: Record<string, number>): JobCounts {
  return {
    waiting: counts.waiting ?? 0,
    active: counts.active ?? 0,
    delayed: counts.delayed ?? 0,
    prioritized: counts.prioritized ?? 0,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
  };
}
