import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlKeys } from '../../src/queue/control-keys.ts';
import { createInstallationLeases, SLOT_IDLE_MS, type InstallationLeases, type Slot } from '../../src/queue/installation-leases.ts';
import { connectRedis, deleteKeys, randomPrefix } from '../helpers/queue-test-env.ts';

describe('installation leases (real Redis)', () => {
  let redis: Redis;
  let prefix: string;

  beforeEach(async () => {
    redis = await connectRedis();
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await deleteKeys(redis, `${prefix}:*`);
    await redis.quit();
  });

  const leasesKey = (installationId: number): string => controlKeys(prefix).leases(installationId);
  const cancelKey = (jobId: string): string => controlKeys(prefix).cancel('fix', jobId);
  const take = (leases: InstallationLeases, installationId: number, jobId = 'job'): Promise<Slot | undefined> =>
    leases.acquire(leasesKey(installationId), cancelKey(jobId)).then((result) => result.slot);

  it('grants at most `limit` slots per installation, across processes, and returns cancel flags', async () => {
    // Two "processes": two connections, two lease managers.
    const other = redis.duplicate();
    try {
      const a = createInstallationLeases({ redis, limit: 2, ttlMs: 10_000 });
      const b = createInstallationLeases({ redis: other, limit: 2, ttlMs: 10_000 });
      const slots = await Promise.all([take(a, 1), take(b, 1), take(b, 1), take(a, 2)]);
      expect(slots.map((slot) => slot !== undefined)).toEqual([true, true, false, true]);
      await a.release(slots[0] as Slot, true);
      expect(await take(b, 1)).toBeDefined();
      expect(await redis.zcard(leasesKey(1))).toBe(2);

      await redis.set(cancelKey('flagged'), '123 requested');
      expect(await a.acquire(leasesKey(3), cancelKey('flagged'))).toMatchObject({ cancelFlag: '123 requested' });
    } finally {
      await other.quit();
    }
  });

  it("frees a dead worker's slot when its lease expires, and renewal keeps a live one", async () => {
    const dead = createInstallationLeases({ redis, limit: 1, ttlMs: 300 });
    const live = createInstallationLeases({ redis, limit: 1, ttlMs: 300 });
    expect(await take(dead, 1)).toBeDefined();
    expect(await take(live, 1)).toBeUndefined();
    await sleep(400);
    const slot = await take(live, 1);
    expect(slot).toBeDefined();
    for (let i = 0; i < 4; i += 1) {
      await sleep(150);
      expect(await live.renew([{ slot: slot as Slot, cancelKey: cancelKey('job') }])).toEqual(['']);
    }
    expect(await take(dead, 1)).toBeUndefined();
  });

  it("hands a finished job's slot to the next job of the installation without asking Redis, then releases an unused one", async () => {
    const leases = createInstallationLeases({ redis, limit: 1, ttlMs: 10_000 });
    const first = await take(leases, 1, 'first');
    expect(first).toBeDefined();
    await leases.release(first as Slot);
    // The same slot, taken over in this process: its lease and the count in Redis stay as they were.
    expect(await take(leases, 1, 'second')).toBe(first);
    expect(await redis.zrange(leasesKey(1), '0', '-1')).toEqual([(first as Slot).id]);
    expect(await take(leases, 1, 'third')).toBeUndefined();

    await leases.release(first as Slot);
    expect(await redis.zcard(leasesKey(1))).toBe(1);
    await sleep(SLOT_IDLE_MS * 3 + 50);
    expect(await redis.zcard(leasesKey(1))).toBe(0);
  });

  it('drain() releases idle slots at once', async () => {
    const leases = createInstallationLeases({ redis, limit: 3, ttlMs: 10_000 });
    const slots = await Promise.all([take(leases, 4), take(leases, 4)]);
    for (const slot of slots) await leases.release(slot as Slot);
    expect(await redis.zcard(leasesKey(4))).toBe(2);
    await leases.drain();
    expect(await redis.zcard(leasesKey(4))).toBe(0);
  });
});
