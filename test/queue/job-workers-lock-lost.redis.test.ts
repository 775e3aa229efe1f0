/**
 * A Redis outage longer than the job lock, on a redis-server of the test's
 * own (killed and started again on its port, its append-only file kept): the
 * run that lost its lock stops before it publishes, and only the run that
 * took the job over publishes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { abortMeaning } from '../../src/error-kind.ts';
import { silentLogger } from '../../src/logger.ts';
import { createJobQueues, type JobQueues } from '../../src/queue/job-queues.ts';
import { createJobWorkers, type JobWorkers } from '../../src/queue/job-workers.ts';
import { closedPort } from '../helpers/ports.ts';
import { fixData, gate, randomPrefix, waitFor } from '../helpers/queue-test-env.ts';

const LOCK_MS = 3_000;
const OUTAGE_MS = 15_000;

/** Starts redis-server on `port` with its data in `dir` (every write synced to the append-only file); resolves once it accepts connections. */
async function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitFor(`redis-server on port ${port} (output: ${output})`, () => output.includes('Ready to accept connections') || child.exitCode !== null, 10_000);
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('a job whose worker loses its Redis lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-redis-outage-'));
  let server: ChildProcess | undefined;
  let redis: Redis | undefined;
  let queues: JobQueues | undefined;
  let workers: JobWorkers | undefined;

  afterEach(async () => {
    await workers?.close();
    await queues?.close();
    redis?.disconnect();
    await stop(server);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`a ${OUTAGE_MS / 1000} s outage with a ${LOCK_MS / 1000} s lock: one run publishes, the other stopped before publishing`, async () => {
    const port = await closedPort();
    server = await startRedis(port, dir);
    redis = new Redis(`redis://127.0.0.1:${port}`, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
    redis.on('error', () => undefined);
    const prefix = randomPrefix();
    queues = createJobQueues({ connection: redis, prefix, logger: silentLogger(), attempts: 3, backoffMs: 50 });

    const release = gate();
    const runs: Array<{ startedAt: number; abortedAt?: number; meaning?: string | undefined; published: boolean }> = [];
    workers = createJobWorkers({
      connection: redis,
      prefix,
      processors: {
        fix: async (_data, ctx) => {
          const run: (typeof runs)[number] = { startedAt: Date.now(), published: false };
          runs.push(run);
          const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
          await Promise.race([release.promise, aborted]);
          // What the fix job does before it opens its pull request (src/worker/fix-job.ts).
          if (ctx.signal.aborted) {
            run.abortedAt = Date.now();
            run.meaning = abortMeaning(ctx.signal);
            throw ctx.signal.reason;
          }
          run.published = true;
          return 'published';
        },
      },
      concurrency: 2,
      perInstallationLimit: 2,
      logger: silentLogger(),
      lockDurationMs: LOCK_MS,
      stalledIntervalMs: 1_000,
    });
    await workers.ready();

    const { jobId } = await queues.enqueueFix(fixData({ issue: 12 }));
    await waitFor('the first run to start', () => runs.length === 1);
    // Long enough for a few renewals first: the lock is kept while Redis answers.
    await sleep(LOCK_MS);
    expect(runs[0]?.abortedAt).toBeUndefined();

    const downAt = Date.now();
    await stop(server);
    await sleep(OUTAGE_MS);
    expect(runs).toHaveLength(1);
    const upAt = Date.now();
    server = await startRedis(port, dir);

    const second = await waitFor('the run that takes the job over', () => runs[1], 20_000);
    release.open();
    const fix = queues.queues.fix;
    await waitFor('the job to complete', async () => (await fix.getJobState(jobId)) === 'completed', 10_000);
    // Time for a late second publication to show up.
    await sleep(1_000);

    const first = runs[0];
    // One publication, by the run that took the job over.
    expect(runs.map((run) => run.published)).toEqual([false, true]);
    // Stopped during the outage, before its lock expired in Redis and long before another run could start.
    expect(first?.meaning).toBe('lost');
    expect(first?.published).toBe(false);
    expect((first?.abortedAt ?? Infinity) - downAt).toBeLessThan(LOCK_MS);
    expect(second.published).toBe(true);
    expect(second.startedAt).toBeGreaterThan(upAt);
    const job = await fix.getJob(jobId);
    expect(job?.returnvalue).toBe('published');
    expect(job?.stalledCounter).toBe(1);
  }, 60_000);
});
