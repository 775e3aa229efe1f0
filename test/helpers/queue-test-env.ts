/**
 * Shared by the queue tests: a connection to the real Redis (REDIS_URL, else
 * 127.0.0.1:6379 as scripts/setup-host.sh starts it), a random key prefix per
 * test so tests never see each other's jobs, and the clean-up of every key
 * under that prefix.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createJobQueues, type JobQueues } from '../../src/queue/job-queues.ts';
import type { FixJobData, ReviewJobData } from '../../src/queue/job-data.ts';
import { silentLogger } from '../../src/logger.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connection that fails fast with a clear message when Redis is down, instead of retrying until the test times out. */
export async function connectRedis(): Promise<Redis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, retryStrategy: () => null, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(`Redis at ${REDIS_URL} is unreachable (run scripts/setup-host.sh): ${String(error)}`, { cause: error });
  }
  // Reconnect normally from here on.
  redis.options.retryStrategy = (times: number) => Math.min(times * 100, 1_000);
  return redis;
}

export function randomPrefix(): string {
  return `swe-bot-test-${randomBytes(6).toString('hex')}`;
}

export interface QueueTestEnv {
  prefix: string;
  redis: Redis;
  queues: JobQueues;
  /** Obliterates the queues, deletes every other key under the prefix, closes the connection. */
  cleanup(): Promise<void>;
}

export async function queueTestEnv(options: { attempts?: number; backoffMs?: number } = {}): Promise<QueueTestEnv> {
  const redis = await connectRedis();
  const prefix = randomPrefix();
  const queues = createJobQueues({
    connection: redis,
    prefix,
    logger: silentLogger(),
    attempts: options.attempts ?? 3,
    backoffMs: options.backoffMs ?? 50,
  });
  return {
    prefix,
    redis,
    queues,
    async cleanup() {
      for (const queue of Object.values(queues.queues)) await queue.obliterate({ force: true });
      await queues.close();
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

let sequence = 0;

export function fixData(overrides: { installationId?: number; issue?: number; repositoryId?: number; deliveryId?: string } = {}): FixJobData {
  sequence += 1;
  const repositoryId = overrides.repositoryId ?? 101;
  return {
    v: 3,
    deliveryId: overrides.deliveryId ?? `delivery-${sequence}`,
    installationId: overrides.installationId ?? 7,
    repository: { id: repositoryId, owner: 'acme', name: `repo-${repositoryId}`, cloneUrl: 'https://github.com/acme/repo.git', defaultBranch: 'main' },
    requestedBy: 'octocat',
    issue: { number: overrides.issue ?? 1 },
    trigger: 'label',
  };
}

export function reviewData(headSha: string, overrides: { pullRequest?: number; trigger?: ReviewJobData['trigger'] } = {}): ReviewJobData {
  sequence += 1;
  return {
    v: 3,
    deliveryId: `delivery-${sequence}`,
    installationId: 7,
    repository: { id: 202, owner: 'acme', name: 'web', cloneUrl: 'https://github.com/acme/web.git', defaultBranch: 'main' },
    requestedBy: 'octocat',
    pullRequest: {
      number: overrides.pullRequest ?? 5,
      headSha,
      baseSha: 'b'.repeat(40),
    },
    trigger: overrides.trigger ?? 'pull_request',
  };
}

export function sha(character: string): string {
  return character.repeat(40);
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A promise and the functions that settle it, for processors the test releases. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
