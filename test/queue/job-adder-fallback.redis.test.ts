/**
 * The job adder reads BullMQ's Lua source from BullMQ's build, which is not
 * its public API: when that source is not there (a BullMQ that moved it),
 * the adder takes the plain way (SET NX + Queue.add + read-back) and keeps
 * its rules. The source is hidden by wrapping the `require` the adder makes
 * with `createRequire`.
 */
import { Queue } from 'bullmq';
import type * as NodeModule from 'node:module';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectRedis, deleteKeys, randomPrefix } from '../helpers/queue-test-env.ts';

const bullmqBuild = vi.hoisted(() => ({ hidden: false }));

vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof NodeModule>();
  const createRequire: typeof actual.createRequire = (from) => {
    const require = actual.createRequire(from);
    const hiding = (id: string): unknown => {
      if (bullmqBuild.hidden && id.startsWith('bullmq/dist/')) throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      return require(id);
    };
    return Object.assign(hiding, require) as NodeJS.Require;
  };
  return { ...actual, default: { ...actual, createRequire }, createRequire };
});

const OPTIONS = { attempts: 3 };

describe('job adder without BullMQ script sources', () => {
  let redis: Redis;
  let queue: Queue;
  let prefix: string;

  beforeEach(async () => {
    redis = await connectRedis();
    prefix = randomPrefix();
    queue = new Queue('fix', { connection: redis, prefix, defaultJobOptions: OPTIONS });
    // A fresh adder module per test: it keeps the script it found for the process.
    vi.resetModules();
  });
  afterEach(async () => {
    bullmqBuild.hidden = false;
    await queue.obliterate({ force: true });
    await queue.close();
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  });

  /** Adds, re-adds and redelivers through a new adder; how many times `Queue.add` ran. */
  async function addThrice(): Promise<number> {
    const { createJobAdder } = await import('../../src/queue/job-adder.ts');
    const queueAdd = vi.spyOn(queue, 'add');
    const adder = createJobAdder(queue, redis, OPTIONS);
    const delivery = { key: `${prefix}:ctl:delivery:d-1`, ttlMs: 60_000 };
    expect(await adder.addForDelivery('job-1', { n: 1 }, delivery)).toBe('queued');
    expect(await adder.addForDelivery('job-1', { n: 2 }, delivery)).toBe('redelivered');
    expect(await adder.add('job-1', { n: 3 })).toBe('duplicate');
    expect((await queue.getJob('job-1'))?.data).toEqual({ n: 1 });
    return queueAdd.mock.calls.length;
  }

  it('adds in one script, without Queue.add, when the sources are there', async () => {
    expect(await addThrice()).toBe(0);
  });

  it('falls back to Queue.add when they are not, with the same answers', async () => {
    bullmqBuild.hidden = true;
    expect(await addThrice()).toBe(2);
  });
});
