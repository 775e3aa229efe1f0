/**
 * The queue store (design.md §6): the Redis at `REDIS_URL`, or, when it is
 * unset, a `redis-server` this process starts itself (embedded-redis.ts).
 * Either way one connection for the queues, checked at start-up so a wrong
 * address fails with an error that names the variable.
 */
import { Redis } from 'ioredis';
import { describeError, SweBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.ts';

/** How long the first connection to REDIS_URL may take. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

export interface RedisHandle {
  /**
   * A connection for the queues. `maxRetriesPerRequest: null`, as BullMQ
   * requires of connections its workers duplicate
   * (https://docs.bullmq.io/guide/going-to-production#maxretriesperrequest).
   */
  readonly connection: Redis;
  /** Where the Redis is, for logs: the URL without its password, or `unix:<socket>`. */
  readonly where: string;
  /** The server this process started, when REDIS_URL is unset. */
  readonly embedded: EmbeddedRedis | undefined;
  /** Throws when Redis does not answer PING within `timeoutMs`. */
  ping(timeoutMs: number): Promise<void>;
  /** Closes the connection, then stops the embedded server (if any). Idempotent. */
  close(): Promise<void>;
}

export interface OpenRedisOptions {
  /** REDIS_URL; unset: start an embedded redis-server. */
  url: string | undefined;
  /** SWE_BOT_DATA_DIR: the embedded server keeps its files in `<dataDir>/redis`. */
  dataDir: string;
  logger: Logger;
  /** The redis-server binary. Default `redis-server` on PATH. */
  binary?: string;
}

export async function openRedis(options: OpenRedisOptions): Promise<RedisHandle> {
  const logger = options.logger.child({ component: 'redis' });
  let embedded: EmbeddedRedis | undefined;
  let connection: Redis;
  let where: string;
  if (options.url === undefined) {
    embedded = await startEmbeddedRedis({ dataDir: options.dataDir, logger, ...(options.binary ? { binary: options.binary } : {}) });
    where = embedded.where;
    connection = new Redis({ ...embedded.endpoint, maxRetriesPerRequest: null, connectionName: 'swe-bot' });
  } else {
    where = redactRedisUrl(options.url);
    await probe(options.url, where);
    connection = new Redis(options.url, { maxRetriesPerRequest: null, connectionName: 'swe-bot' });
  }
  connection.on('error', (error: unknown) => logger.warn({ err: describeError(error), where }, 'redis connection error'));
  let closing: Promise<void> | undefined;
  return {
    connection,
    where,
    embedded,
    async ping(timeoutMs) {
      await withTimeout(connection.ping(), timeoutMs, `Redis at ${where} did not answer PING within ${timeoutMs} ms`);
    },
    close: () =>
      (closing ??= (async () => {
        await connection.quit().catch(() => connection.disconnect());
        await embedded?.stop();
      })()),
  };
}

/** One connection attempt, no retries: a wrong REDIS_URL fails at start-up, naming the variable. */
async function probe(url: string, where: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() rejects with a bare "Connection is closed"; the cause comes as an event.
  let cause: unknown;
  redis.on('error', (error: unknown) => {
    cause ??= error;
  });
  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      REDIS_CONNECT_TIMEOUT_MS,
      `no answer within ${REDIS_CONNECT_TIMEOUT_MS} ms`,
    );
  } catch (error) {
    throw new SweBotError(`Cannot reach Redis at REDIS_URL=${where}: ${describeError(cause ?? error)}`, {
      kind: 'transient',
      code: 'redis_unreachable',
      cause: cause ?? error,
      hint: 'start that Redis, fix REDIS_URL, or unset REDIS_URL to let swe-bot start its own redis-server',
    });
  } finally {
    redis.disconnect();
  }
}

/** The URL with its password replaced, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
