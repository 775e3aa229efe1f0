import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweBotError } from '../../src/errors.ts';
import { jobId, type FixJobData } from '../../src/queue/job-data.ts';
import { createJobWorkers, type JobWorkers } from '../../src/queue/job-workers.ts';
import { silentLogger } from '../../src/logger.ts';
import { fixData, queueTestEnv, reviewData, sha, waitFor, type QueueTestEnv } from './queue-test-env.ts';

describe('job queues (real Redis)', () => {
  let env: QueueTestEnv;
  const workers: JobWorkers[] = [];

  beforeEach(async () => {
    env = await queueTestEnv();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await env.cleanup();
  });

  it('adds the same issue once while it waits, whatever the delivery', async () => {
    const first = await env.queues.enqueueFix(fixData({ issue: 3, deliveryId: 'a' }));
    const again = await env.queues.enqueueFix(fixData({ issue: 3, deliveryId: 'b' }));
    const same = await env.queues.enqueueFix(fixData({ issue: 3, deliveryId: 'a' }));
    expect(first).toEqual({ jobId: jobId.fix(101, 3), status: 'queued' });
    expect(again).toEqual({ jobId: first.jobId, status: 'duplicate' });
    expect(same.status).toBe('duplicate');
    expect((await env.queues.counts()).fix.waiting).toBe(1);
    // The first request's data is the one kept.
    const job = await env.queues.queues.fix.getJob(first.jobId);
    expect((job?.data as FixJobData).deliveryId).toBe('a');
  });

  it('concurrent adds of one issue yield one job', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => env.queues.enqueueFix(fixData({ issue: 4, deliveryId: `c${i}` }))));
    expect(results.filter((r) => r.status === 'queued').length).toBeGreaterThanOrEqual(1);
    expect((await env.queues.counts()).fix.waiting).toBe(1);
  });

  it('runs an issue again once its previous job has finished (completed or failed)', async () => {
    let runs = 0;
    workers.push(
      createJobWorkers({
        connection: env.redis,
        prefix: env.prefix,
        processors: {
          fix: async () => {
            runs += 1;
            await Promise.resolve();
            if (runs === 2) throw new SweBotError('no', { kind: 'permanent', code: 'test' });
          },
        },
        concurrency: 1,
        perInstallationLimit: 2,
        logger: silentLogger(),
      }),
    );
    const id = jobId.fix(101, 9);
    const queue = env.queues.queues.fix;
    expect((await env.queues.enqueueFix(fixData({ issue: 9 }))).status).toBe('queued');
    await waitFor('the first run to complete', async () => (await queue.getJobState(id)) === 'completed');
    expect(await env.queues.cancel('fix', id)).toEqual({ jobId: id, outcome: 'finished' });
    expect((await env.queues.enqueueFix(fixData({ issue: 9 }))).status).toBe('queued');
    await waitFor('the second run to fail', async () => (await queue.getJobState(id)) === 'failed');
    expect((await env.queues.enqueueFix(fixData({ issue: 9 }))).status).toBe('queued');
    await waitFor('the third run to complete', async () => (await queue.getJobState(id)) === 'completed');
    expect(runs).toBe(3);
  });

  it('seenDelivery is false the first time and true after, for a day', async () => {
    expect(await env.queues.seenDelivery('d-1')).toBe(false);
    expect(await env.queues.seenDelivery('d-1')).toBe(true);
    expect(await env.queues.seenDelivery('d-2')).toBe(false);
    const ttlMs = await env.redis.pttl(env.queues.keys.delivery('d-1'));
    expect(ttlMs).toBeGreaterThan(23 * 60 * 60 * 1000);
  });

  it('a newer head removes the waiting review of the older head', async () => {
    const old = await env.queues.enqueueReview(reviewData(sha('a')));
    expect(old.status).toBe('queued');
    expect(old.superseded).toBeUndefined();
    const newer = await env.queues.enqueueReview(reviewData(sha('c')));
    expect(newer.status).toBe('queued');
    expect(newer.superseded).toEqual({ jobId: old.jobId, outcome: 'removed' });
    expect(await env.queues.queues.review.getJob(old.jobId)).toBeUndefined();
    expect((await env.queues.counts()).review.waiting).toBe(1);
    // Another pull request is not touched.
    const other = await env.queues.enqueueReview(reviewData(sha('d'), { pullRequest: 6 }));
    expect(other.superseded).toBeUndefined();
    // A re-run of an older commit's check run supersedes nothing.
    const rerun = await env.queues.enqueueReview(reviewData(sha('a'), { trigger: 'rerequest' }));
    expect(rerun.status).toBe('queued');
    expect(rerun.superseded).toBeUndefined();
    expect(await env.queues.queues.review.getJobState(newer.jobId)).toBe('waiting');
  });

  it('cancel removes a waiting job and reports unknown and finished ones', async () => {
    const { jobId: id } = await env.queues.enqueueFix(fixData({ issue: 11 }));
    expect(await env.queues.cancel('fix', id)).toEqual({ jobId: id, outcome: 'removed' });
    expect(await env.queues.queues.fix.getJob(id)).toBeUndefined();
    expect(await env.queues.cancel('fix', id)).toEqual({ jobId: id, outcome: 'not_found' });
    // Cancelled means it can be asked for again.
    expect((await env.queues.enqueueFix(fixData({ issue: 11 }))).status).toBe('queued');
  });

  it('refuses invalid job data with a permanent error before it reaches Redis', async () => {
    const bad = { ...fixData(), issue: { number: -1 } };
    await expect(env.queues.enqueueFix(bad)).rejects.toMatchObject({ kind: 'permanent', code: 'job_data_invalid' });
    const withToken = { ...fixData(), token: 'ghs_secret' } as FixJobData;
    await expect(env.queues.enqueueFix(withToken)).rejects.toThrow(/token/);
    expect((await env.queues.counts()).fix.waiting).toBe(0);
  });

  it('counts jobs by state per queue', async () => {
    await env.queues.enqueueFix(fixData({ issue: 1 }));
    await env.queues.enqueueFix(fixData({ issue: 2 }));
    await env.queues.enqueueReview(reviewData(sha('e')));
    const counts = await env.queues.counts();
    expect(counts.fix).toMatchObject({ waiting: 2, active: 0, failed: 0 });
    expect(counts.review).toMatchObject({ waiting: 1 });
  });
});
