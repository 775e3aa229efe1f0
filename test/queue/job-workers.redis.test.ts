import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DockerUnavailableError, SweBotError } from '../../src/errors.ts';
import type { FixJobData, ReviewJobData } from '../../src/queue/job-data.ts';
import type { JobContext } from '../../src/queue/job-context.ts';
import { createJobWorkers, type JobWorkers, type JobWorkersOptions } from '../../src/queue/job-workers.ts';
import { silentLogger } from '../../src/logger.ts';
import { fixData, gate, queueTestEnv, reviewData, sha, waitFor, type QueueTestEnv } from '../helpers/queue-test-env.ts';

describe('job workers (real Redis)', () => {
  let env: QueueTestEnv;
  let workers: JobWorkers[] = [];

  beforeEach(async () => {
    env = await queueTestEnv({ attempts: 3, backoffMs: 50 });
  });
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close()));
    workers = [];
    await env.cleanup();
  });

  async function start(options: Partial<JobWorkersOptions> & Pick<JobWorkersOptions, 'processors'>): Promise<JobWorkers> {
    const created = createJobWorkers({
      connection: env.redis,
      prefix: env.prefix,
      concurrency: 2,
      perInstallationLimit: 5,
      logger: silentLogger(),
      lockDurationMs: 2_000,
      stalledIntervalMs: 1_000,
      capRetryDelayMs: 100,
      shutdownTimeoutMs: 1_000,
      abortGraceMs: 1_000,
      ...options,
    });
    workers.push(created);
    await created.ready();
    return created;
  }

  const state = (id: string) => env.queues.queues.fix.getJobState(id);
  const fixJob = async (id: string) => {
    const job = await env.queues.queues.fix.getJob(id);
    if (!job) throw new Error(`no job ${id}`);
    return job;
  };

  it('retries a transient error with backoff, then succeeds', async () => {
    const attempts: number[] = [];
    await start({
      processors: {
        fix: async (_data, ctx) => {
          attempts.push(ctx.attempt);
          await Promise.resolve();
          if (ctx.attempt < 3) throw new DockerUnavailableError('the Docker engine restarted');
          return { ok: true };
        },
      },
    });
    const { jobId } = await env.queues.enqueueFix(fixData());
    await waitFor('completion', async () => (await state(jobId)) === 'completed');
    expect(attempts).toEqual([1, 2, 3]);
    expect((await fixJob(jobId)).returnvalue).toEqual({ ok: true });
  });

  it('treats a bare network error as transient', async () => {
    let calls = 0;
    await start({
      processors: {
        fix: async () => {
          calls += 1;
          await Promise.resolve();
          if (calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        },
      },
    });
    const { jobId } = await env.queues.enqueueFix(fixData());
    await waitFor('completion', async () => (await state(jobId)) === 'completed');
    expect(calls).toBe(2);
  });

  it('fails a permanent error at once, keeping its message; unknown errors count as permanent', async () => {
    const calls: number[] = [];
    await start({
      processors: {
        fix: async (data) => {
          calls.push(data.issue.number);
          await Promise.resolve();
          if (data.issue.number === 1) throw new SweBotError('the setup command `npm ci` failed with exit code 1', { kind: 'permanent', code: 'setup_failed' });
          throw new TypeError('cannot read properties of undefined');
        },
      },
    });
    const permanent = await env.queues.enqueueFix(fixData({ issue: 1 }));
    const unknown = await env.queues.enqueueFix(fixData({ issue: 2 }));
    await waitFor('both failed', async () => (await state(permanent.jobId)) === 'failed' && (await state(unknown.jobId)) === 'failed');
    const job = await fixJob(permanent.jobId);
    expect(job.failedReason).toBe('the setup command `npm ci` failed with exit code 1');
    expect(job.attemptsMade).toBe(1);
    expect((job.stacktrace ?? []).join('\n')).toContain('SweBotError');
    expect((await fixJob(unknown.jobId)).failedReason).toBe('cannot read properties of undefined');
    expect(calls.sort()).toEqual([1, 2]);
  });

  it('fails invalid or unknown-version job data permanently, without calling the processor', async () => {
    let calls = 0;
    await start({
      processors: {
        fix: async () => {
          calls += 1;
          await Promise.resolve();
        },
      },
    });
    const queue = env.queues.queues.fix;
    await queue.add('fix', { ...fixData(), v: 4 }, { jobId: 'future' });
    await queue.add('fix', { ...fixData(), issue: { number: 'one' } }, { jobId: 'broken' });
    await waitFor('both failed', async () => (await queue.getJobState('future')) === 'failed' && (await queue.getJobState('broken')) === 'failed');
    expect((await fixJob('future')).failedReason).toMatch(/fix job data of version 4 is not one this worker reads \(versions 1 to 3\)/);
    const broken = await fixJob('broken');
    expect(broken.failedReason).toMatch(/invalid fix job data: .*issue\.number/s);
    expect(broken.attemptsMade).toBe(1);
    expect(calls).toBe(0);
  });

  it('runs jobs queued by the previous versions (1 and 2), upgraded, without recorded text', async () => {
    const seen: unknown[] = [];
    await start({
      processors: {
        fix: async (data) => void seen.push(await Promise.resolve(data)),
        review: async (data) => void seen.push(await Promise.resolve(data)),
      },
    });
    const { v: _fix, ...fix } = fixData({ issue: 61 });
    const { v: _review, ...review } = reviewData(sha('e'));
    const { v: _fix2, ...fix2 } = fixData({ issue: 62 });
    await env.queues.queues.fix.add('fix', { ...fix, v: 1 }, { jobId: 'old-fix' });
    // Version 1 reviews carried the head's clone URL and draft flag, which nothing read.
    await env.queues.queues.review.add('review', { ...review, v: 1, pullRequest: { ...review.pullRequest, headCloneUrl: 'https://github.com/acme/web.git', draft: false } }, { jobId: 'old-review' });
    // Version 2 recorded no text: the worker fetches it when the job runs.
    await env.queues.queues.fix.add('fix', { ...fix2, v: 2 }, { jobId: 'old-fix-2' });
    await waitFor('all three ran', () => Promise.resolve(seen.length === 3));
    expect(seen).toEqual(expect.arrayContaining([{ ...fix, v: 3 }, { ...review, v: 3 }, { ...fix2, v: 3 }]));
  });

  it('caps the jobs of one installation across workers without starving another installation', async () => {
    const running = new Map<number, number>();
    let peakA = 0;
    const order: string[] = [];
    const releaseFirst = gate();
    const processor = async (data: FixJobData) => {
      const id = data.installationId;
      running.set(id, (running.get(id) ?? 0) + 1);
      peakA = Math.max(peakA, running.get(1) ?? 0);
      order.push(`start ${id}/${data.issue.number}`);
      try {
        if (data.issue.number === 1) await releaseFirst.promise;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        running.set(id, (running.get(id) ?? 0) - 1);
        order.push(`end ${id}/${data.issue.number}`);
      }
    };
    // Two worker processes' worth, sharing the Redis.
    await start({ processors: { fix: processor }, perInstallationLimit: 1, concurrency: 2 });
    await start({ processors: { fix: processor }, perInstallationLimit: 1, concurrency: 2 });

    const a1 = await env.queues.enqueueFix(fixData({ installationId: 1, issue: 1 }));
    await waitFor('A1 to start', () => order.includes('start 1/1'));
    const a2 = await env.queues.enqueueFix(fixData({ installationId: 1, issue: 2 }));
    const b1 = await env.queues.enqueueFix(fixData({ installationId: 2, issue: 3 }));
    await waitFor('B to complete while A1 runs', async () => (await state(b1.jobId)) === 'completed');
    expect(order).not.toContain('start 1/2');
    // A2 goes back to delayed each time it is tried (briefly active, never
    // started), not to failed, and uses no attempt.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).not.toContain('start 1/2');
    expect(['delayed', 'waiting', 'active']).toContain(await state(a2.jobId));
    expect((await fixJob(a2.jobId)).attemptsMade).toBe(0);

    releaseFirst.open();
    await waitFor('A2 to complete', async () => (await state(a2.jobId)) === 'completed');
    expect(await state(a1.jobId)).toBe('completed');
    expect(peakA).toBe(1);
    expect(order.indexOf('start 1/2')).toBeGreaterThan(order.indexOf('end 1/1'));
    // Completing counts as the one attempt made: the waits at the cap counted none.
    expect((await fixJob(a2.jobId)).attemptsMade).toBe(1);
    // No slot outlives its job.
    const slots = async () => (await env.redis.zcard(env.queues.keys.leases(1))) + (await env.redis.zcard(env.queues.keys.leases(2)));
    await waitFor('the slots to be released', async () => (await slots()) === 0);
  });

  it('cancels a running job from another connection within a second, without retry', async () => {
    let calls = 0;
    let abortedAt = 0;
    let reason: unknown;
    await start({
      processors: {
        fix: async (_data, ctx) => {
          calls += 1;
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          abortedAt = Date.now();
          reason = ctx.signal.reason;
          throw ctx.signal.reason;
        },
      },
    });
    const { jobId } = await env.queues.enqueueFix(fixData());
    await waitFor('the job to run', async () => (await state(jobId)) === 'active' && calls === 1);
    const asked = Date.now();
    expect(await env.queues.cancel('fix', jobId)).toEqual({ jobId, outcome: 'signalled' });
    await waitFor('the job to fail', async () => (await state(jobId)) === 'failed');
    expect(abortedAt - asked).toBeLessThan(1_000);
    expect(reason).toMatchObject({ code: 'job_cancelled' });
    const job = await fixJob(jobId);
    expect(job.failedReason).toBe('cancelled on request');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toBe(1);
    expect(await state(jobId)).toBe('failed');
    // The flag is gone: a new request for the issue runs normally.
    expect(await env.redis.exists(env.queues.keys.cancel('fix', jobId))).toBe(0);
  });

  it('still cancels when the pub/sub message is lost (the flag is read on lease renewal)', async () => {
    let aborted = false;
    await start({
      lockDurationMs: 900,
      processors: {
        fix: async (_data, ctx) => {
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          aborted = true;
        },
      },
    });
    const { jobId } = await env.queues.enqueueFix(fixData());
    await waitFor('the job to run', async () => (await state(jobId)) === 'active');
    const job = await fixJob(jobId);
    await env.redis.set(env.queues.keys.cancel('fix', jobId), `${job.timestamp} requested`);
    // Leases renew within the 900 ms lock; the slack is for a loaded machine.
    await waitFor('the abort', () => aborted, 10_000);
    // A flag of an earlier run of the same id does not cancel a later run.
    await env.redis.set(env.queues.keys.cancel('fix', jobId), `${job.timestamp - 1} requested`);
  });

  it('a newer push cancels the running review of the older head; isLatestHead tells them apart', async () => {
    const latest: Record<string, boolean[]> = {};
    const reasons: Record<string, unknown> = {};
    const started = new Set<string>();
    await start({
      processors: {
        review: async (data: ReviewJobData, ctx: JobContext) => {
          const head = data.pullRequest.headSha.slice(0, 1);
          started.add(head);
          (latest[head] ??= []).push(await ctx.isLatestHead!());
          if (head === 'a') {
            await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
            (latest[head] ??= []).push(await ctx.isLatestHead!());
            reasons[head] = ctx.signal.reason;
            throw ctx.signal.reason;
          }
        },
      },
    });
    const old = await env.queues.enqueueReview(reviewData(sha('a')));
    await waitFor('the old review to run', () => started.has('a'));
    const newer = await env.queues.enqueueReview(reviewData(sha('c')));
    expect(newer.superseded).toEqual({ jobId: old.jobId, outcome: 'signalled' });
    const review = env.queues.queues.review;
    await waitFor('the new review to complete', async () => (await review.getJobState(newer.jobId)) === 'completed');
    await waitFor('the old review to fail', async () => (await review.getJobState(old.jobId)) === 'failed');
    expect(latest).toEqual({ a: [true, false], c: [true] });
    expect(reasons.a).toMatchObject({ code: 'job_cancelled', message: expect.stringMatching(/newer commit/) as unknown });
  });

  it('close() lets jobs finish, or aborts them after the timeout and queues them again without using an attempt', async () => {
    let calls = 0;
    const first = await start({
      shutdownTimeoutMs: 200,
      processors: {
        fix: async (_data, ctx) => {
          calls += 1;
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          throw ctx.signal.reason;
        },
      },
    });
    const { jobId } = await env.queues.enqueueFix(fixData());
    await waitFor('the job to run', () => calls === 1);
    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing).toBeLessThan(2_000);
    expect(['delayed', 'waiting']).toContain(await state(jobId));
    expect((await fixJob(jobId)).attemptsMade).toBe(0);

    let attempt = 0;
    await start({
      processors: {
        fix: async (_data, ctx) => {
          attempt = ctx.attempt;
          await Promise.resolve();
        },
      },
    });
    await waitFor('the job to run again and complete', async () => (await state(jobId)) === 'completed');
    expect(attempt).toBe(1);
  });
});
