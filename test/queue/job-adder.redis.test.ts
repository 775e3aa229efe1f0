/**
 * The job adder's two ways, the one-script add and the plain fallback
 * (SET NX + Queue.add + read-back), follow the same rules.
 */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobAdder, type JobAdder } from '../../src/queue/job-adder.ts';
import { connectRedis, deleteKeys, randomPrefix } from '../helpers/queue-test-env.ts';

const OPTIONS = { attempts: 3, removeOnComplete: { age: 60, count: 10 } };

describe.each([
  ['one script', false],
  ['plain fallback', true],
])('job adder (%s)', (_name, plain) => {
  let redis: Redis;
  let control: Redis;
  let queue: Queue;
  let prefix: string;
  let adder: JobAdder;

  beforeEach(async () => {
    redis = await connectRedis();
    control = redis.duplicate({ enableAutoPipelining: true });
    prefix = randomPrefix();
    queue = new Queue('fix', { connection: redis, prefix, defaultJobOptions: OPTIONS });
    adder = createJobAdder(queue, control, OPTIONS, { plain });
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeys(redis, `${prefix}:*`);
    control.disconnect();
    await redis.quit();
  });

  const delivery = (id: string) => ({ key: `${prefix}:ctl:delivery:${id}`, ttlMs: 60_000 });

  it('adds once, says duplicate while the job waits, and redelivered for a seen delivery', async () => {
    expect(await adder.add('job-1', { n: 1 })).toBe('queued');
    expect(await adder.add('job-1', { n: 2 })).toBe('duplicate');
    expect(await adder.addForDelivery('job-2', { n: 3 }, delivery('d-1'))).toBe('queued');
    expect(await adder.addForDelivery('job-2', { n: 4 }, delivery('d-1'))).toBe('redelivered');
    expect(await adder.addForDelivery('job-2', { n: 5 }, delivery('d-2'))).toBe('duplicate');
    expect(await redis.pttl(delivery('d-2').key)).toBeGreaterThan(50_000);
    expect((await queue.getJob('job-1'))?.data).toEqual({ n: 1 });
    expect((await queue.getJob('job-2'))?.data).toEqual({ n: 3 });
    expect((await queue.getJob('job-2'))?.opts).toMatchObject({ attempts: 3, removeOnComplete: { age: 60, count: 10 }, jobId: 'job-2' });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 2 });
  });

  it('sets the mark of a new delivery with its add, and not that of a redelivery', async () => {
    const markKey = `${prefix}:ctl:mark`;
    const withMark = (id: string, value: string) => ({ ...delivery(id), mark: { key: markKey, value, ttlMs: 60_000 } });
    expect(await adder.addForDelivery('job-m', { n: 1 }, withMark('m-1', 'one'))).toBe('queued');
    expect(await redis.get(markKey)).toBe('one');
    expect(await redis.pttl(markKey)).toBeGreaterThan(50_000);
    expect(await adder.addForDelivery('job-m', { n: 2 }, withMark('m-1', 'two'))).toBe('redelivered');
    expect(await redis.get(markKey)).toBe('one');
    // A new delivery for the waiting job: recorded, marked, nothing added.
    expect(await adder.addForDelivery('job-m', { n: 3 }, withMark('m-2', 'three'))).toBe('duplicate');
    expect(await redis.get(markKey)).toBe('three');
    expect((await queue.getJob('job-m'))?.data).toEqual({ n: 1 });
  });

  it('tells a duplicate from its own add when both fall in one millisecond', async () => {
    // The clock stands still: both adds get the same creation timestamp.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      expect(await adder.add('same-ms', { n: 1 })).toBe('queued');
      expect(await adder.add('same-ms', { n: 2 })).toBe('duplicate');
      expect((await queue.getJob('same-ms'))?.data).toEqual({ n: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('replaces a completed or failed job', async () => {
    for (const state of ['completed', 'failed'] as const) {
      const id = `job-${state}`;
      expect(await adder.add(id, { run: 1 })).toBe('queued');
      // Finish it as a worker would have: out of the wait list, into the state's set.
      await redis.lrem(queue.toKey('wait'), 0, id);
      await redis.zadd(queue.toKey(state), Date.now(), id);
      expect(await queue.getJobState(id)).toBe(state);
      expect(await adder.addForDelivery(id, { run: 2 }, delivery(`${state}-2`))).toBe('queued');
      expect(await queue.getJobState(id)).toBe('waiting');
      expect((await queue.getJob(id))?.data).toEqual({ run: 2 });
    }
  });
});
