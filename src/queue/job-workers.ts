/**
 * The consumer side of the queue layer (design.md §1): BullMQ workers for the
 * `fix` and `review` queues, in the web process (`serve --role all`) or in
 * processes of their own on other machines sharing the Redis
 * (`serve --role worker`). Around each job it adds what BullMQ does not know:
 *
 * - the job data is checked against its versioned schema: unknown versions and
 *   invalid data fail at once, without retries;
 * - errors follow swe-bot's taxonomy (src/error-kind.ts): transient ones are
 *   rethrown and BullMQ retries them with the queue's backoff, permanent ones
 *   become BullMQ's `UnrecoverableError`
 *   (https://docs.bullmq.io/guide/retrying-failing-jobs#stop-retrying-jobs);
 * - the per-installation cap (installation-leases.ts): a job over it goes
 *   back to delayed without using an attempt
 *   (https://docs.bullmq.io/patterns/process-step-jobs#delaying);
 * - cancel from any process (cancel-watch.ts): the processor's `signal` is
 *   aborted and the job fails without retry, reason "cancelled";
 * - stalled jobs: a worker killed mid-job stops renewing its BullMQ lock, and
 *   another worker's stalled checker puts the job back to wait once the lock
 *   expires (https://docs.bullmq.io/guide/workers/stalled-jobs);
 * - a lost lock: a worker cut off from Redis (or frozen) longer than the lock
 *   lasts would go on with a job that the stalled checker gives to another
 *   run: two conversations, two check runs, two pull requests. So a run whose
 *   lock went unrenewed for nearly its duration, or that BullMQ could not
 *   renew (`lockRenewalFailed`, https://api.docs.bullmq.io/interfaces/v5.WorkerListener.html),
 *   is aborted (processors check `ctx.signal` before publishing) and leaves
 *   the job to the run that takes it over;
 * - a graceful close: running jobs get `shutdownTimeoutMs` to finish, then
 *   their signal is aborted and they go back to the queue without using an
 *   attempt, to run again on the next worker.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { describeError } from '../errors.ts';
import { errorKind, jobCancelledError, jobLockLostError, workerShutdownError } from '../error-kind.ts';
import type { Logger } from '../logger.ts';
import { startCancelWatch } from './cancel-watch.ts';
import { cancelReasonFor, controlKeys, DEFAULT_PREFIX, queueJobKey, type CancelReason } from './control-keys.ts';
import { FixJobSchema, QUEUE, readJobData, ReviewJobSchema, type FixJobData, type QueueName, type ReviewJobData } from './job-data.ts';
import { JOB_LOCK_MS, SHUTDOWN_GRACE_MS } from '../config/load-config.ts';
import { ActiveJob, Context } from './active-job.ts';
import type { Processor } from './job-context.ts';
import { createInstallationLeases, type Slot } from './installation-leases.ts';

/** The lease renewal (and cancel-flag check) runs at least this often, whatever the lease TTL. */
const MAX_RENEW_INTERVAL_MS = 5_000;
/**
 * A run whose lock went unrenewed for this share of the lock's duration is
 * stopped. BullMQ renews every quarter to half of it (its lockRenewTime is
 * half the duration, checked twice as often), so only a run cut off from
 * Redis gets there, and it stops before the lock expires, hence before any
 * other worker can take the job.
 */
const LOCK_GIVE_UP_SHARE = 0.9;

export interface JobWorkersOptions {
  /** Duplicated, not used as is: the workers own their connections and close them. */
  connection: Redis;
  /** Must match the producers' (createJobQueues). Default `swe-bot`. */
  prefix?: string;
  /** A queue without a processor gets no worker here. */
  processors: { fix?: Processor<FixJobData>; review?: Processor<ReviewJobData> };
  /** Jobs this process runs at once, per queue. */
  concurrency: number;
  /** Jobs of one installation running at once across every worker sharing the Redis (both queues together). */
  perInstallationLimit: number;
  logger: Logger;
  /**
   * BullMQ's job lock: a worker that stops renewing it (killed, frozen) loses
   * the job to another worker this long after its last renewal. Also the
   * installation lease's TTL. Default 30 000 ms.
   */
  lockDurationMs?: number;
  /** How often BullMQ looks for jobs whose lock expired. Default 30 000 ms. */
  stalledIntervalMs?: number;
  /** Stalls a job survives before it fails (one crash may be the machine, several are the job). Default 2. */
  maxStalledCount?: number;
  /** A job over its installation's cap waits this long (plus up to half of it, at random) before trying again. Default 5 000 ms. */
  capRetryDelayMs?: number;
  /** close(): how long running jobs may take to finish before their signal is aborted. Default 20 000 ms. */
  shutdownTimeoutMs?: number;
  /** close(): how long aborted jobs may take to stop before the workers disconnect regardless. Default 10 000 ms. */
  abortGraceMs?: number;
}

export interface JobWorkers {
  /** Resolves when the workers are connected and cancel requests are being listened to. */
  ready(): Promise<void>;
  /** Jobs running in this process now. */
  running(): number;
  /** Stops taking jobs, lets running ones finish (see shutdownTimeoutMs), closes the connections. Idempotent. */
  close(): Promise<void>;
}

export function createJobWorkers(options: JobWorkersOptions): JobWorkers {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const keys = controlKeys(prefix);
  const logger = options.logger.child({ component: 'worker' });
  /** Whether per-job info lines are written at all (checked once: the level is set at start-up). */
  const verbose = options.logger.isLevelEnabled('info');
  const lockDurationMs = options.lockDurationMs ?? JOB_LOCK_MS;
  const capRetryDelayMs = options.capRetryDelayMs ?? 5_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_GRACE_MS;
  const abortGraceMs = options.abortGraceMs ?? 10_000;

  // BullMQ workers need `maxRetriesPerRequest: null` (they duplicate this
  // connection for their own blocking and non-blocking clients:
  // https://docs.bullmq.io/guide/going-to-production#maxretriesperrequest).
  const control = options.connection.duplicate({ maxRetriesPerRequest: null });
  control.on('error', (error: unknown) => logger.warn({ err: error }, 'redis error'));
  const leases = createInstallationLeases({
    redis: control,
    limit: options.perInstallationLimit,
    ttlMs: lockDurationMs,
    onError: (error) => logger.warn({ err: error }, 'cannot update installation leases; renewal and expiry correct them'),
  });
  const active = new Map<string, ActiveJob>();

  const cancelWatch = startCancelWatch({
    connection: options.connection,
    channel: keys.cancelChannel,
    logger,
    onCancel: (message) => {
      const job = active.get(queueJobKey(message.queue, message.jobId));
      if (job) cancelJob(job, message.reason);
    },
  });

  function releaseLease(job: ActiveJob, now = false): Promise<void> {
    const slot = job.slot;
    job.slot = undefined;
    if (!slot) return Promise.resolve();
    return leases.release(slot, now).catch((error: unknown) => job.logger.warn({ err: error }, 'cannot release the installation slot'));
  }

  function cancelJob(job: ActiveJob, reason: CancelReason): void {
    if (job.stop) return;
    job.stop = { why: 'cancelled', reason };
    job.logger.info({ reason }, 'cancelling the job');
    const message = reason === 'superseded' ? 'cancelled: a newer commit of the pull request was pushed' : 'cancelled on request';
    job.controller.abort(jobCancelledError(message));
  }

  function loseLock(job: ActiveJob, why: string): void {
    if (job.stop) return;
    job.stop = { why: 'lock_lost' };
    job.logger.warn({ why, lockDurationMs }, "the job's lock is lost: stopping this run before it publishes; the job runs again");
    job.controller.abort(jobLockLostError());
  }

  function abortForShutdown(job: ActiveJob): void {
    if (job.stop) return;
    job.stop = { why: 'shutdown' };
    job.controller.abort(workerShutdownError());
  }

  // One timer for the whole process, not one per job: renews every held lease
  // and reads every running job's cancel flag in a single script call.
  let renewing = false;
  const renewTimer = setInterval(
    () => {
      if (renewing) return;
      renewing = true;
      renewLeases()
        .catch((error: unknown) => logger.warn({ err: error }, 'cannot renew installation leases'))
        .finally(() => {
          renewing = false;
        });
    },
    Math.min(lockDurationMs / 3, MAX_RENEW_INTERVAL_MS),
  );
  renewTimer.unref();

  async function renewLeases(): Promise<void> {
    const held = [...active.values()].filter((job) => job.slot !== undefined);
    if (held.length === 0) return;
    const flags = await leases.renew(held.map((job) => ({ slot: job.slot as Slot, cancelKey: job.cancelKey })));
    held.forEach((job, index) => {
      const reason = cancelReasonFor(flags[index], job.timestamp);
      if (reason) cancelJob(job, reason);
    });
  }

  function processorFor<T extends FixJobData | ReviewJobData>(queue: QueueName, schema: z.ZodType<T>, processor: Processor<T>) {
    return async (job: Job, token?: string): Promise<unknown> => {
      const id = job.id ?? '';
      const data = parseJobData(queue, id, schema, job.data, logger);
      const entry = new ActiveJob(
        queue,
        job,
        data,
        { key: queueJobKey(queue, id), leasesKey: keys.leases(data.installationId), cancelKey: keys.cancel(queue, id) },
        options.logger,
      );
      // Registered before the lease call, so a cancel message that arrives
      // meanwhile is not lost; the flag read by the call covers earlier ones.
      active.set(entry.key, entry);
      // BullMQ took the lock a moment ago; each renewal restarts this timer.
      entry.lockTimer = setTimeout(() => loseLock(entry, 'no renewal of the lock'), lockDurationMs * LOCK_GIVE_UP_SHARE);
      try {
        const lease = await leases.acquire(entry.leasesKey, entry.cancelKey);
        entry.slot = lease.slot;
        const flagged = cancelReasonFor(lease.cancelFlag, job.timestamp);
        if (flagged) cancelJob(entry, flagged);
        if (!lease.slot && !entry.stop) {
          const delayMs = capRetryDelayMs + Math.floor(Math.random() * (capRetryDelayMs / 2));
          entry.logger.debug({ delayMs, limit: options.perInstallationLimit }, 'installation at its cap: job delayed');
          await job.moveToDelayed(Date.now() + delayMs, token);
          throw new DelayedError();
        }
        return await run(entry, job, token, data, processor);
      } finally {
        clearTimeout(entry.lockTimer);
        // A run that lost its lock may end after the run that took the job over started here.
        if (active.get(entry.key) === entry) active.delete(entry.key);
        // Kept a moment for this process's next job of the installation (see
        // installation-leases.ts), then released.
        void releaseLease(entry);
      }
    };
  }

  async function run<T extends FixJobData | ReviewJobData>(
    entry: ActiveJob,
    job: Job,
    token: string | undefined,
    data: T,
    processor: Processor<T>,
  ): Promise<unknown> {
    const started = performance.now();
    const ctx = new Context(entry);
    if ('pullRequest' in data) {
      const head = keys.reviewHead(data.repository.id, data.pullRequest.number);
      const sha = data.pullRequest.headSha;
      ctx.isLatestHead = async () => {
        const latest = await control.get(head);
        return latest === null || latest === sha;
      };
    }
    try {
      if (entry.stop?.why === 'cancelled') throw new Error('cancelled before it started');
      if (verbose) entry.logger.info('job started');
      const result = await processor(data, ctx);
      if (verbose) entry.logger.info({ ms: Math.round(performance.now() - started) }, 'job completed');
      return result;
    } catch (error) {
      throw await settle(error, entry, job, token);
    }
  }

  /** What BullMQ should see for a processor's error (see the module comment). */
  async function settle(error: unknown, entry: ActiveJob, job: Job, token: string | undefined): Promise<Error> {
    const stop = entry.stop;
    if (stop?.why === 'cancelled') {
      entry.logger.info({ reason: stop.reason }, 'job cancelled');
      await control.del(entry.cancelKey).catch(() => undefined);
      return new UnrecoverableError(describeError(entry.controller.signal.reason));
    }
    if (stop?.why === 'shutdown') {
      try {
        // Back to the queue now, without using an attempt: the job did nothing
        // wrong. The lease goes first, so whoever takes the job next gets it.
        await releaseLease(entry, true);
        await job.moveToDelayed(Date.now(), token);
        entry.logger.info('job aborted by the shutdown; queued again');
        return new DelayedError();
      } catch (moveError) {
        entry.logger.warn({ err: moveError }, 'cannot queue the aborted job again; its lock will expire and another worker retries it');
        return asError(error);
      }
    }
    if (stop?.why === 'lock_lost') {
      // The lease goes first, so the run that takes the job over gets it.
      await releaseLease(entry, true);
      // Queued again at once if the lock was still ours after all (the event
      // loop was blocked, Redis was not gone); BullMQ refuses the move
      // otherwise, and the stalled checker queues the job. DelayedError tells
      // BullMQ the job was moved: it does not try to fail it with a lock it lost.
      await job.moveToDelayed(Date.now(), token).catch(() => undefined);
      entry.logger.info('job stopped after losing its lock; it runs again');
      return new DelayedError();
    }
    if (error instanceof UnrecoverableError || error instanceof DelayedError) return error;
    if (errorKind(error) === 'transient') {
      entry.logger.warn({ err: error, attemptsLeft: Math.max(0, (job.opts.attempts ?? 1) - job.attemptsMade - 1) }, 'job failed (transient)');
      return asError(error);
    }
    entry.logger.error({ err: error }, 'job failed (permanent): not retried');
    const unrecoverable = new UnrecoverableError(describeError(error));
    if (error instanceof Error && error.stack !== undefined) unrecoverable.stack = error.stack;
    return unrecoverable;
  }

  const workers: Worker[] = [];
  const add = <T extends FixJobData | ReviewJobData>(queue: QueueName, schema: z.ZodType<T>, processor: Processor<T> | undefined): void => {
    if (!processor) return;
    const worker = new Worker(queue, processorFor(queue, schema, processor), {
      connection: control,
      prefix,
      concurrency: options.concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? JOB_LOCK_MS,
      maxStalledCount: options.maxStalledCount ?? 2,
      // Recorded on each job (processedBy): which machine ran it.
      name: `${hostname()}:${process.pid}`,
    });
    worker.on('error', (error) => logger.error({ err: error, queue }, 'worker error'));
    worker.on('stalled', (jobId) => logger.warn({ queue, jobId }, 'job stalled (its worker stopped renewing the lock): it runs again'));
    worker.on('locksRenewed', ({ jobIds }) => {
      for (const jobId of jobIds) active.get(queueJobKey(queue, jobId))?.lockTimer?.refresh();
    });
    // Renewal found the lock gone (expired, or another worker holds the job).
    worker.on('lockRenewalFailed', (jobIds) => {
      for (const jobId of jobIds) {
        const job = active.get(queueJobKey(queue, jobId));
        if (job) loseLock(job, 'BullMQ could not renew the lock');
      }
    });
    workers.push(worker);
  };
  add(QUEUE.fix, FixJobSchema, options.processors.fix);
  add(QUEUE.review, ReviewJobSchema, options.processors.review);

  let closing: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    const stopped = Promise.all(workers.map((worker) => worker.close())).then(
      () => true,
      (error: unknown) => {
        logger.error({ err: error }, 'error while closing the workers');
        return true;
      },
    );
    if (!(await within(stopped, shutdownTimeoutMs))) {
      logger.warn({ running: active.size, shutdownTimeoutMs }, 'jobs still running at shutdown: aborting them; they will run again');
      for (const job of active.values()) abortForShutdown(job);
      if (!(await within(stopped, abortGraceMs))) {
        logger.error({ running: active.size }, 'jobs ignore their abort signal: disconnecting; their locks expire and other workers take them');
        await Promise.all(workers.map((worker) => worker.disconnect().catch(() => undefined)));
      }
    }
    clearInterval(renewTimer);
    await leases.drain();
    await cancelWatch.close();
    await control.quit().catch(() => control.disconnect());
  }

  return {
    async ready() {
      await Promise.all([cancelWatch.ready, ...workers.map((worker) => worker.waitUntilReady())]);
    },
    running: () => active.size,
    close: () => (closing ??= shutdown()),
  };
}

function parseJobData<T>(queue: QueueName, jobId: string, schema: z.ZodType<T>, raw: unknown, logger: Logger): T {
  const read = readJobData(queue, schema, raw);
  if (read.ok) return read.data;
  logger.error({ queue, jobId }, read.message);
  throw new UnrecoverableError(read.message);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error));
}

/** True when `promise` settled within `ms`. */
async function within(promise: Promise<boolean>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([promise, sleep(ms, false, { signal: timer.signal })]);
  } finally {
    timer.abort();
  }
}
