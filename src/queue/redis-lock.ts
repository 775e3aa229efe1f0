/**
 * A short lock in Redis, for steps that read GitHub and then write to it and
 * must not interleave across deliveries, processes or machines: the app's
 * refusal and configuration-error comments and the workers' status comments
 * are found by their marker and created when missing (src/github/status-comment.ts),
 * and three deliveries at once would each find none and each create one.
 *
 * The classic single-instance pattern (https://redis.io/docs/latest/develop/use/patterns/distributed-locks/#correct-implementation-with-a-single-instance):
 * `SET key token NX PX ttl` to take it, a script that deletes the key only
 * while it still holds this holder's random token to give it back (so a
 * holder whose lock expired never frees someone else's), and the TTL renewed
 * while the holder runs, so a holder that dies frees the key within one TTL.
 * A caller that waited {@link RedisLockOptions.waitMs} runs without it: a
 * duplicate comment is better than a lost request.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { KeyedLock } from '../util/keyed-lock.ts';
import { controlKeys, DEFAULT_PREFIX } from './control-keys.ts';

/** How long a lock lives without renewal, ms. */
export const LOCK_TTL_MS = 10_000;
/** Between two attempts to take a held lock, ms. */
export const LOCK_RETRY_MS = 25;

// KEYS[1] the lock, ARGV[1] the holder's token.
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// KEYS[1] the lock, ARGV[1] the holder's token, ARGV[2] the TTL.
const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

export interface RedisLockOptions {
  redis: Pick<Redis, 'set' | 'eval'>;
  /** Key prefix (SWE_BOT_QUEUE_PREFIX); the locks live under `<prefix>:ctl:lock:`. */
  prefix?: string;
  /** Default {@link LOCK_TTL_MS}. */
  ttlMs?: number;
  /** Longest wait for a held lock before running without it, ms. Default: the TTL. */
  waitMs?: number;
}

export function createRedisLock(options: RedisLockOptions): KeyedLock {
  const { redis } = options;
  const keys = controlKeys(options.prefix ?? DEFAULT_PREFIX);
  const ttlMs = options.ttlMs ?? LOCK_TTL_MS;
  const waitMs = options.waitMs ?? ttlMs;
  return {
    async withLock(name, fn) {
      const key = keys.lock(name);
      const token = randomBytes(12).toString('hex');
      const deadline = performance.now() + waitMs;
      let held: boolean;
      for (;;) {
        held = (await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
        if (held || performance.now() >= deadline) break;
        // A little jitter, so waiters do not retry in lockstep.
        await sleep(LOCK_RETRY_MS + Math.floor(Math.random() * LOCK_RETRY_MS));
      }
      if (!held) return fn();
      const renewal = setInterval(() => {
        redis.eval(RENEW_LUA, 1, key, token, ttlMs).catch(() => undefined);
      }, Math.max(1, Math.floor(ttlMs / 3)));
      renewal.unref();
      try {
        return await fn();
      } finally {
        clearInterval(renewal);
        // Best effort: a release that fails leaves the key to expire within the TTL.
        await redis.eval(RELEASE_LUA, 1, key, token).catch(() => undefined);
      }
    },
  };
}
