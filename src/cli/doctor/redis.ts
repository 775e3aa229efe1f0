/** Redis: the one at REDIS_URL, or the redis-server binary the app starts itself. */
import { execFile } from 'node:child_process';
import type { Socket as NetStream } from 'node:net';
import { Redis } from 'ioredis';
import semver from 'semver';
import { describeError } from '../../errors.ts';
import { CHECK_NAMES, networkError, redactUrl, result, withTimeout, type CheckResult } from './result.ts';

/** BullMQ refuses older Redis servers and warns below the recommended one. */
export const MIN_REDIS_VERSION = '5.0.0';
export const RECOMMENDED_REDIS_VERSION = '6.2.0';

const REDIS_URL_HINT =
  'start Redis at REDIS_URL, fix REDIS_URL, or unset it to let swe-bot start its own redis-server';

export async function checkRedisUrl(url: string, timeoutMs: number): Promise<CheckResult> {
  const name = CHECK_NAMES.redis;
  const where = redactUrl(url);
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  // connect() rejects with a bare "Connection is closed"; the cause (such as
  // ECONNREFUSED) comes as an event, which without a listener ioredis would
  // print as unhandled.
  let connectionError: unknown;
  redis.on('error', (error: unknown) => {
    connectionError ??= error;
  });
  try {
    const info = await withTimeout(
      (async () => {
        await redis.connect();
        await redis.ping();
        return redis.info();
      })(),
      timeoutMs,
      `no answer within ${timeoutMs} ms`,
    );
    const fields = parseInfo(info);
    const version = fields.get('valkey_version') ?? fields.get('redis_version') ?? 'unknown';
    const server = fields.has('valkey_version') ? 'Valkey' : 'Redis';
    const detail = `${server} ${version} at ${where}`;
    const policy = fields.get('maxmemory_policy');
    return redisVersionResult(detail, version, policy, REDIS_URL_HINT);
  } catch (error) {
    const cause = connectionError ?? error;
    return result(name, 'fail', true, `cannot reach Redis at ${where}: ${networkError(cause, url)}`, REDIS_URL_HINT);
  } finally {
    // disconnect() ends the socket politely and keeps a 2 s timer (which
    // holds the process) until the socket closes: so destroy the socket
    // outright, and leave alone a connection that already ended, whose
    // socket would never close again to clear that timer.
    if (redis.status !== 'end') redis.disconnect();
    (redis.stream as NetStream | undefined)?.destroy();
  }
}

function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

function redisVersionResult(detail: string, version: string, policy: string | undefined, hint: string): CheckResult {
  const name = CHECK_NAMES.redis;
  const parsed = semver.coerce(version);
  if (parsed && semver.lt(parsed, MIN_REDIS_VERSION)) {
    return result(name, 'fail', true, `${detail}: BullMQ needs Redis >= ${MIN_REDIS_VERSION}`, hint);
  }
  if (parsed && semver.lt(parsed, RECOMMENDED_REDIS_VERSION)) {
    return result(name, 'warn', true, `${detail}: Redis >= ${RECOMMENDED_REDIS_VERSION} is recommended`, hint);
  }
  if (policy !== undefined && policy !== 'noeviction') {
    return result(
      name,
      'warn',
      true,
      `${detail}: maxmemory-policy is ${policy}, so Redis may evict queued jobs`,
      'set maxmemory-policy noeviction in the Redis configuration',
    );
  }
  return result(name, 'ok', true, detail);
}

const EMBEDDED_HINT =
  'install it (`sudo apt-get install redis-server`), or set REDIS_URL to a running Redis (redis://host:6379)';

export async function checkRedisServerBinary(binary: string, dataDir: string, timeoutMs: number): Promise<CheckResult> {
  const name = CHECK_NAMES.redis;
  const output = await new Promise<{ stdout: string } | { error: Error & { code?: unknown } }>((resolve) => {
    execFile(binary, ['--version'], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => {
      resolve(error ? { error } : { stdout });
    });
  });
  if ('error' in output) {
    const why =
      output.error.code === 'ENOENT'
        ? `${binary} is not on PATH`
        : `\`${binary} --version\` failed: ${describeError(output.error)}`;
    return result(name, 'fail', true, `REDIS_URL is unset, so swe-bot starts its own redis-server, but ${why}`, EMBEDDED_HINT);
  }
  const version = /\bv=(\S+)/.exec(output.stdout)?.[1] ?? /\d+\.\d+\.\d+/.exec(output.stdout)?.[0] ?? 'unknown';
  const detail = `REDIS_URL unset: swe-bot starts its own redis-server ${version} (data under ${dataDir})`;
  return redisVersionResult(detail, version, undefined, EMBEDDED_HINT);
}
