import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SweBotError } from '../../src/errors.ts';
import { jobId, type FixJobData } from '../../src/queue/job-data.ts';
import { createJobWorkers, type JobWorkers } from '../../src/queue/job-workers.ts';
import { silentLogger } from '../../src/logger.ts';
import { fixData, queueTestEnv, reviewData, sha, waitFor, type QueueTestEnv } from '../helpers/queue-test-env.ts';

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
    expect(same.status).toBe('redelivered');
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

  it('records a review delivery with its add, for a day; a redelivered older push changes nothing', async () => {
    const first = reviewData(sha('a'));
    expect((await env.queues.enqueueReview(first)).status).toBe('queued');
    expect(await env.redis.pttl(env.queues.keys.delivery(first.deliveryId))).toBeGreaterThan(23 * 60 * 60 * 1000);
    expect(await env.redis.get(env.queues.keys.reviewHead(202, 5))).toBe(sha('a'));
    const newer = await env.queues.enqueueReview(reviewData(sha('c')));
    expect(newer.superseded?.outcome).toBe('removed');
    // GitHub redelivers the older push: nothing is added or cancelled, and the newer head stays the latest.
    expect(await env.queues.enqueueReview(first)).toEqual({ jobId: jobId.review(202, 5, sha('a')), status: 'redelivered' });
    expect(await env.redis.get(env.queues.keys.reviewHead(202, 5))).toBe(sha('c'));
    expect(await env.queues.queues.review.getJobState(newer.jobId)).toBe('waiting');
    expect((await env.queues.counts()).review.waiting).toBe(1);
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

  it('enqueueFix records the delivery and adds the job in one step', async () => {
    const first = await env.queues.enqueueFix(fixData({ issue: 21, deliveryId: 'e-1' }));
    expect(first).toEqual({ jobId: jobId.fix(101, 21), status: 'queued' });
    expect(await env.redis.pttl(env.queues.keys.delivery('e-1'))).toBeGreaterThan(23 * 60 * 60 * 1000);
    // GitHub redelivers: nothing is looked at or added, even for another issue.
    expect(await env.queues.enqueueFix(fixData({ issue: 21, deliveryId: 'e-1' }))).toEqual({ jobId: first.jobId, status: 'redelivered' });
    expect((await env.queues.enqueueFix(fixData({ issue: 22, deliveryId: 'e-1' }))).status).toBe('redelivered');
    // Another delivery for the waiting issue is recorded and adds nothing.
    expect(await env.queues.enqueueFix(fixData({ issue: 21, deliveryId: 'e-2' }))).toEqual({ jobId: first.jobId, status: 'duplicate' });
    expect(await env.redis.exists(env.queues.keys.delivery('e-2'))).toBe(1);
    expect((await env.queues.counts()).fix.waiting).toBe(1);
    expect(((await env.queues.queues.fix.getJob(first.jobId))?.data as FixJobData).deliveryId).toBe('e-1');
    // Its job removed (cancelled), a redelivery still adds nothing.
    expect((await env.queues.cancel('fix', first.jobId)).outcome).toBe('removed');
    expect((await env.queues.enqueueFix(fixData({ issue: 21, deliveryId: 'e-1' }))).status).toBe('redelivered');
    expect(await env.queues.queues.fix.getJob(first.jobId)).toBeUndefined();
    // A new delivery asks again.
    expect((await env.queues.enqueueFix(fixData({ issue: 21, deliveryId: 'e-3' }))).status).toBe('queued');
  });

  it('concurrent deliveries of one issue yield one job, and each delivery is recorded once', async () => {
    const deliveries = Array.from({ length: 6 }, (_, i) => fixData({ issue: 23, deliveryId: `f${i % 3}` }));
    const results = await Promise.all(deliveries.map((data) => env.queues.enqueueFix(data)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual(['duplicate', 'duplicate', 'queued', 'redelivered', 'redelivered', 'redelivered']);
    expect((await env.queues.counts()).fix.waiting).toBe(1);
  });

  it('stores the job exactly as Queue.add does', async () => {
    const queue = env.queues.queues.fix;
    const data = fixData({ issue: 31, deliveryId: 'g-1' });
    await env.queues.enqueueFix(data);
    const reference = await queue.add('fix', { ...data, issue: { number: 32 } }, { jobId: jobId.fix(101, 32) });
    const ours = await env.redis.hgetall(queue.toKey(jobId.fix(101, 31)));
    const theirs = await env.redis.hgetall(queue.toKey(jobId.fix(101, 32)));
    expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
    expect(JSON.parse(ours.data ?? '')).toEqual(data);
    expect(JSON.parse(ours.opts ?? '')).toEqual({ ...JSON.parse(theirs.opts ?? ''), jobId: jobId.fix(101, 31) });
    expect({ ...ours, data: '', opts: '', timestamp: '' }).toEqual({ ...theirs, data: '', opts: '', timestamp: '' });
    expect(Math.abs(Number(ours.timestamp) - reference.timestamp)).toBeLessThan(5_000);
    expect(await queue.getJobState(jobId.fix(101, 31))).toBe('waiting');
    // Both are in the wait list, in order, and both announced themselves on the events stream.
    expect(await env.redis.lrange(queue.toKey('wait'), 0, -1)).toEqual([jobId.fix(101, 32), jobId.fix(101, 31)]);
    const events = (await env.redis.xrange(queue.toKey('events'), '-', '+')).map(([, fields]) => `${fields[1]} ${fields[3]}`);
    expect(events).toEqual([`added ${jobId.fix(101, 31)}`, `waiting ${jobId.fix(101, 31)}`, `added ${jobId.fix(101, 32)}`, `waiting ${jobId.fix(101, 32)}`]);
  });

  it('replaces a finished job for a new delivery', async () => {
    const runs: string[] = [];
    workers.push(
      createJobWorkers({
        connection: env.redis,
        prefix: env.prefix,
        processors: {
          fix: async (data) => {
            runs.push(data.deliveryId);
            await Promise.resolve();
          },
        },
        concurrency: 1,
        perInstallationLimit: 2,
        logger: silentLogger(),
      }),
    );
    const queue = env.queues.queues.fix;
    const id = jobId.fix(101, 41);
    expect((await env.queues.enqueueFix(fixData({ issue: 41, deliveryId: 'h-1' }))).status).toBe('queued');
    await waitFor('the first run to complete', async () => (await queue.getJobState(id)) === 'completed');
    // Its redelivery does not run it again; a new request does.
    expect((await env.queues.enqueueFix(fixData({ issue: 41, deliveryId: 'h-1' }))).status).toBe('redelivered');
    expect((await env.queues.enqueueFix(fixData({ issue: 41, deliveryId: 'h-2' }))).status).toBe('queued');
    await waitFor('the second run', () => runs.length === 2);
    expect(runs).toEqual(['h-1', 'h-2']);
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
