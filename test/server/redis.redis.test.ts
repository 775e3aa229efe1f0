/**
 * The queue store: the embedded redis-server (AOF on, data under a temp
 * folder, stopped on close, what a killed run left taken over) and the
 * errors that name what to fix.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { startEmbeddedRedis } from '../../src/server/embedded-redis.ts';
import { openRedis, redactRedisUrl, type RedisHandle } from '../../src/server/redis.ts';
import { processAlive } from '../../src/util/process-alive.ts';

const dirs: string[] = [];
const handles: RedisHandle[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-redis-'));
  dirs.push(dir);
  return dir;
}

async function open(dataDir: string): Promise<RedisHandle> {
  const handle = await openRedis({ url: undefined, dataDir, logger: silentLogger() });
  handles.push(handle);
  return handle;
}


afterEach(async () => {
  await Promise.all(handles.splice(0).map((handle) => handle.close()));
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('embedded redis-server', () => {
  it('starts with AOF on under the data folder, listens on a private socket, and stops on close', async () => {
    const dataDir = tempDir();
    const redis = await open(dataDir);
    const embedded = redis.embedded;
    expect(embedded).toBeDefined();
    if (!embedded) return;
    expect(embedded.dir).toBe(path.join(dataDir, 'redis'));
    expect(embedded.where).toBe(`unix:${path.join(dataDir, 'redis', 'redis.sock')}`);
    expect(await redis.connection.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.connection.config('GET', 'dir')).toEqual(['dir', embedded.dir]);
    expect(await redis.connection.config('GET', 'port')).toEqual(['port', '0']);
    expect(await redis.connection.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect((fs.statSync(path.join(dataDir, 'redis', 'redis.sock')).mode & 0o777).toString(8)).toBe('700');
    await redis.ping(1000);
    await redis.close();
    expect(processAlive(embedded.pid)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'redis', 'owner.json'))).toBe(false);
    expect(fs.readdirSync(path.join(dataDir, 'redis', 'appendonlydir')).some((file) => file.endsWith('.aof'))).toBe(true);
  });

  it('keeps queued data across a restart (the append-only file)', async () => {
    const dataDir = tempDir();
    const first = await open(dataDir);
    await first.connection.set('swe-bot:test:kept', 'yes');
    await first.connection.rpush('swe-bot:test:list', 'a', 'b');
    await first.close();
    const second = await open(dataDir);
    expect(await second.connection.get('swe-bot:test:kept')).toBe('yes');
    expect(await second.connection.lrange('swe-bot:test:list', 0, -1)).toEqual(['a', 'b']);
  });

  it('takes over a server that a killed run left behind', async () => {
    const dataDir = tempDir();
    const leftover = await startEmbeddedRedis({ dataDir, logger: silentLogger() });
    try {
      // As if its owner had been killed with SIGKILL: a dead pid in the owner file.
      const ownerFile = path.join(dataDir, 'redis', 'owner.json');
      const deadPid = spawnSync('true').pid ?? 1;
      fs.writeFileSync(ownerFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(ownerFile, 'utf8')), pid: deadPid }));
      const redis = await open(dataDir);
      expect(redis.embedded?.pid).not.toBe(leftover.pid);
      expect(processAlive(leftover.pid)).toBe(false);
      await redis.ping(1000);
    } finally {
      await leftover.stop();
    }
  });

  it('refuses a data folder whose server belongs to another live process', async () => {
    const dataDir = tempDir();
    const other = await startEmbeddedRedis({ dataDir, logger: silentLogger() });
    try {
      const ownerFile = path.join(dataDir, 'redis', 'owner.json');
      fs.writeFileSync(ownerFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(ownerFile, 'utf8')), pid: process.ppid }));
      await expect(open(dataDir)).rejects.toThrow(`another swe-bot process (pid ${process.ppid}) runs the embedded Redis in ${path.join(dataDir, 'redis')}`);
      expect(processAlive(other.pid)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('says how to install redis-server when it is missing', async () => {
    const error = await openRedis({ url: undefined, dataDir: tempDir(), logger: silentLogger(), binary: '/nonexistent/redis-server' }).then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(error?.message).toBe('REDIS_URL is unset, so swe-bot starts its own redis-server, but /nonexistent/redis-server is not installed (not on PATH)');
    expect(error?.hint).toMatch(/apt-get install redis-server/);
  });

  it('reports the output of a redis-server that cannot start', async () => {
    const dataDir = tempDir();
    const fake = path.join(dataDir, 'fake-redis-server');
    fs.writeFileSync(fake, '#!/bin/sh\necho "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***" >&2\nexit 1\n', { mode: 0o755 });
    const error = await openRedis({ url: undefined, dataDir, logger: silentLogger(), binary: fake }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      `the embedded redis-server (data in ${path.join(dataDir, 'redis')}) exited with code 1 before it answered:\n  *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***`,
    );
  });
});

describe('REDIS_URL', () => {
  it('names the variable (without the password) when Redis is unreachable', async () => {
    const error = await openRedis({ url: 'redis://:hunter2@127.0.0.1:1', dataDir: tempDir(), logger: silentLogger() }).then(
      () => undefined,
      (e: unknown) => e as Error & { hint?: string },
    );
    expect(error?.message).toMatch(/^Cannot reach Redis at REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/);
    expect(error?.message).not.toContain('hunter2');
    expect(error?.hint).toMatch(/unset REDIS_URL/);
  });

  it('connects with maxRetriesPerRequest: null, as BullMQ workers need', async () => {
    const redis = await openRedis({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', dataDir: tempDir(), logger: silentLogger() });
    handles.push(redis);
    expect(redis.embedded).toBeUndefined();
    expect(redis.connection.options.maxRetriesPerRequest).toBeNull();
    await redis.ping(1000);
  });

  it('redacts passwords', () => {
    expect(redactRedisUrl('rediss://user:secret@redis.example:6380/2')).toBe('rediss://user:***@redis.example:6380/2');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});
