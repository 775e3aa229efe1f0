/**
 * The embedded queue store: when REDIS_URL is unset, a `redis-server` this
 * process starts itself with its data under `<SWE_BOT_DATA_DIR>/redis`,
 * append-only file on, so queued jobs survive a restart
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/#append-only-file).
 *
 * It listens on a unix socket in its data folder (no TCP port at all, so
 * nothing else on the machine or the network reaches it), or on a free
 * 127.0.0.1 port when the folder's path is too long for a socket. It runs in
 * a process group of its own, so a Ctrl-C in the terminal does not stop it
 * before the workers have put their jobs back: the service stops it last. A
 * server left behind by a killed swe-bot is recognised by its data folder
 * and shut down (it saves its AOF) before a new one starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describeError, SweBotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { processAlive } from '../util/process-alive.ts';

/** How long a new redis-server may take to answer PING. */
export const REDIS_START_TIMEOUT_MS = 15_000;
/** How long a redis-server may take to save and exit after SIGTERM or SHUTDOWN before it is killed. */
export const REDIS_STOP_TIMEOUT_MS = 10_000;
/** Unix socket paths longer than this do not fit in `sockaddr_un` (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH_BYTES = 100;
/** Lines of redis-server output kept for error messages. */
const OUTPUT_TAIL_LINES = 20;
const POLL_INTERVAL_MS = 50;

/** Where a Redis listens: a unix socket or a TCP address. */
export type RedisEndpoint = { path: string } | { host: string; port: number };

export interface EmbeddedRedis {
  /** The redis-server's process id. */
  readonly pid: number;
  /** Its data folder (`--dir`): the append-only files live here. */
  readonly dir: string;
  /** `unix:<socket>` or `redis://127.0.0.1:<port>`. */
  readonly where: string;
  /** How to connect to it. */
  readonly endpoint: RedisEndpoint;
  /** SIGTERM (Redis flushes the AOF and exits), then SIGKILL after {@link REDIS_STOP_TIMEOUT_MS}. Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  dataDir: string;
  logger: Logger;
  binary?: string;
  startTimeoutMs?: number;
}

/** What `<dir>/owner.json` records, so the next start can recognise a server left behind. */
interface OwnerRecord {
  /** The swe-bot process that started the server. */
  pid: number;
  redisPid: number;
  socket?: string;
  port?: number;
}

const OWNER_FILE = 'owner.json';

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = options.binary ?? 'redis-server';
  const dir = path.join(path.resolve(options.dataDir), 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  await takeOverLeftover(dir, options.logger);

  const socket = path.join(dir, 'redis.sock');
  const useSocket = Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES;
  // A port taken between our probe and redis-server's bind makes it exit at once: try another.
  for (let attempt = 1; ; attempt += 1) {
    const port = useSocket ? 0 : await freePort();
    try {
      return await spawnServer({ ...options, binary, dir, socket: useSocket ? socket : undefined, port });
    } catch (error) {
      if (useSocket || attempt >= 3 || !(error instanceof SweBotError && error.code === 'redis_port_taken')) throw error;
    }
  }
}

async function spawnServer(options: EmbeddedRedisOptions & { binary: string; dir: string; socket: string | undefined; port: number }): Promise<EmbeddedRedis> {
  const { binary, dir, socket, port, logger } = options;
  if (socket) fs.rmSync(socket, { force: true });
  // https://redis.io/docs/latest/operate/oss_and_stack/management/config-file/
  const args = [
    '--bind', '127.0.0.1',
    '--port', String(port),
    ...(socket ? ['--unixsocket', socket, '--unixsocketperm', '700'] : []),
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    // The AOF is the persistence; no RDB snapshots (each one forks the server).
    '--save', '',
    // BullMQ needs every key kept: https://docs.bullmq.io/guide/going-to-production#max-memory-policy
    '--maxmemory-policy', 'noeviction',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', '',
  ];
  const where = socket ? `unix:${socket}` : `redis://127.0.0.1:${port}`;
  const tail: string[] = [];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
        logger.debug({ redis: line }, 'redis-server');
      }
    });
  }

  const endpoint: RedisEndpoint = socket ? { path: socket } : { host: '127.0.0.1', port };
  const deadline = Date.now() + (options.startTimeoutMs ?? REDIS_START_TIMEOUT_MS);
  let stopped = false;
  const early = exited.then((result) => {
    stopped = true;
    return result;
  });
  for (;;) {
    if (stopped) {
      const result = await early;
      throw startError(binary, dir, result, tail);
    }
    if (await answers(endpoint)) break;
    if (Date.now() > deadline) {
      await terminate(child, exited);
      throw new SweBotError(`redis-server did not answer within ${options.startTimeoutMs ?? REDIS_START_TIMEOUT_MS} ms (data in ${dir})${outputOf(tail)}`, {
        kind: 'transient',
        code: 'redis_start_timeout',
        hint: 'check the data folder (a large AOF takes a while to load), or set REDIS_URL to a running Redis',
      });
    }
    await sleep(POLL_INTERVAL_MS);
  }
  const record: OwnerRecord = { pid: process.pid, redisPid: child.pid ?? 0, ...(socket ? { socket } : { port }) };
  fs.writeFileSync(path.join(dir, OWNER_FILE), JSON.stringify(record));
  logger.info({ where, dir, redisPid: child.pid }, 'embedded redis-server started (append-only file on)');

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    dir,
    where,
    endpoint,
    stop: () =>
      (stopping ??= (async () => {
        await terminate(child, exited);
        fs.rmSync(path.join(dir, OWNER_FILE), { force: true });
        logger.info({ where }, 'embedded redis-server stopped');
      })()),
  };
}

function startError(binary: string, dir: string, result: { code: number | null; signal: NodeJS.Signals | null; error?: Error }, tail: string[]): SweBotError {
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return new SweBotError(`REDIS_URL is unset, so swe-bot starts its own redis-server, but ${binary} is not installed (not on PATH)`, {
      kind: 'permanent',
      code: 'redis_server_missing',
      cause: result.error,
      hint: 'install it (sudo apt-get install redis-server, or bash scripts/setup-host.sh), or set REDIS_URL to a running Redis',
    });
  }
  if (result.error) {
    return new SweBotError(`cannot start ${binary}: ${describeError(result.error)}`, { kind: 'permanent', code: 'redis_start_failed', cause: result.error });
  }
  const output = outputOf(tail);
  const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.code}`;
  return new SweBotError(`the embedded redis-server (data in ${dir}) ${how} before it answered${output}`, {
    kind: 'permanent',
    code: /Address already in use/i.test(output) ? 'redis_port_taken' : 'redis_start_failed',
    hint: `read its output above; the data folder must be writable; or set REDIS_URL to a running Redis`,
  });
}

function outputOf(tail: string[]): string {
  return tail.length ? `:\n  ${tail.join('\n  ')}` : '';
}

async function terminate(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = new AbortController();
  const done = await Promise.race([exited.then(() => true), sleep(REDIS_STOP_TIMEOUT_MS, false, { signal: timer.signal }).catch(() => false)]);
  timer.abort();
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * A server whose owner died (killed with SIGKILL, a crash) still serves the
 * data folder. Another live swe-bot owning it is an error: two processes
 * would each stop it under the other. A dead owner's server is shut down
 * cleanly (SHUTDOWN writes the AOF) so ours can start on the same files.
 */
async function takeOverLeftover(dir: string, logger: Logger): Promise<void> {
  const file = path.join(dir, OWNER_FILE);
  let record: OwnerRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8')) as OwnerRecord;
  } catch {
    return;
  }
  const options: RedisEndpoint | undefined = record.socket ? { path: record.socket } : record.port ? { host: '127.0.0.1', port: record.port } : undefined;
  if (options === undefined || !(await servesDir(options, dir))) {
    fs.rmSync(file, { force: true });
    return;
  }
  if (record.pid !== process.pid && processAlive(record.pid)) {
    throw new SweBotError(`another swe-bot process (pid ${record.pid}) runs the embedded Redis in ${dir}`, {
      kind: 'permanent',
      code: 'redis_dir_busy',
      hint: 'stop that process, give this one its own SWE_BOT_DATA_DIR, or point both at one Redis with REDIS_URL',
    });
  }
  logger.warn({ dir, redisPid: record.redisPid }, 'a redis-server left by an earlier run still serves the data folder: shutting it down first');
  const redis = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    // SHUTDOWN closes the connection instead of answering.
    await redis.shutdown().catch(() => undefined);
  } finally {
    redis.disconnect();
  }
  const deadline = Date.now() + REDIS_STOP_TIMEOUT_MS;
  while (await answers(options)) {
    if (Date.now() > deadline) throw new SweBotError(`the redis-server left in ${dir} does not stop`, { kind: 'permanent', code: 'redis_dir_busy', hint: `kill it (pid ${record.redisPid}) and start again` });
    await sleep(POLL_INTERVAL_MS);
  }
  fs.rmSync(file, { force: true });
}

/** True when a Redis answers at `options` and its data folder is `dir` (a reused port may be someone else's). */
async function servesDir(options: RedisEndpoint, dir: string): Promise<boolean> {
  return (await query(options, async (redis) => {
    const reply = await redis.config('GET', 'dir');
    return reply[1] === dir;
  })) ?? false;
}

async function answers(options: RedisEndpoint): Promise<boolean> {
  return (await query(options, async (redis) => (await redis.ping()) === 'PONG')) ?? false;
}

async function query<T>(options: RedisEndpoint, fn: (redis: Redis) => Promise<T>): Promise<T | undefined> {
  const redis = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await fn(redis);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}


async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
