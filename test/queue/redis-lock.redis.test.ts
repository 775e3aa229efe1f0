import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlKeys } from '../../src/queue/control-keys.ts';
import { createRedisLock } from '../../src/queue/redis-lock.ts';
import { connectRedis, deleteKeys, randomPrefix } from '../helpers/queue-test-env.ts';

describe('the Redis lock (real Redis)', () => {
  let redis: Redis;
  let other: Redis;
  let prefix: string;

  beforeEach(async () => {
    redis = await connectRedis();
    other = redis.duplicate();
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await other.quit();
    await redis.quit();
  });

  /** A read-then-write step that interleaves unless it is serialized: each holder sees how many ran inside before it. */
  function step(log: string[], name: string, ms = 30) {
    return async (): Promise<string> => {
      log.push(`${name}:in`);
      await sleep(ms);
      log.push(`${name}:out`);
      return name;
    };
  }

  it('runs holders of one key one at a time across connections ("processes"), and different keys at once', async () => {
    const a = createRedisLock({ redis, prefix });
    const b = createRedisLock({ redis: other, prefix });
    const log: string[] = [];
    const results = await Promise.all([a.withLock('k', step(log, 'a1')), b.withLock('k', step(log, 'b1')), a.withLock('k', step(log, 'a2'))]);
    expect(results).toEqual(['a1', 'b1', 'a2']);
    // Never two inside at once.
    for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i]?.replace(':in', ':out'));
    expect(await redis.exists(controlKeys(prefix).lock('k'))).toBe(0);

    const parallel: string[] = [];
    await Promise.all([a.withLock('x', step(parallel, 'x', 60)), b.withLock('y', step(parallel, 'y', 60))]);
    expect(parallel.slice(0, 2).sort()).toEqual(['x:in', 'y:in']);
  });

  it('releases on failure, and never frees a lock another holder took after its own expired', async () => {
    const lock = createRedisLock({ redis, prefix, ttlMs: 200 });
    await expect(lock.withLock('k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await redis.exists(controlKeys(prefix).lock('k'))).toBe(0);

    // Someone else holds the key: a holder whose token differs cannot delete it.
    await redis.set(controlKeys(prefix).lock('held'), 'someone-else', 'PX', 5_000);
    const waited = createRedisLock({ redis, prefix, ttlMs: 200, waitMs: 100 });
    expect(await waited.withLock('held', () => Promise.resolve('ran without it after waiting'))).toBe('ran without it after waiting');
    expect(await redis.get(controlKeys(prefix).lock('held'))).toBe('someone-else');
  });

  it("frees a dead holder's key within its TTL, and renewal keeps a live holder's", async () => {
    await redis.set(controlKeys(prefix).lock('k'), 'dead-holder', 'PX', 150);
    const lock = createRedisLock({ redis, prefix, ttlMs: 150 });
    const started = performance.now();
    const log: string[] = [];
    // The live holder runs for four TTLs: renewal keeps the key, so a second caller waits for it.
    const first = lock.withLock('k', step(log, 'long', 600));
    await sleep(250);
    const second = createRedisLock({ redis: other, prefix, ttlMs: 150, waitMs: 5_000 }).withLock('k', step(log, 'next', 1));
    await Promise.all([first, second]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150);
    expect(log).toEqual(['long:in', 'long:out', 'next:in', 'next:out']);
  });
});
