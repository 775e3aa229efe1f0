import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobWorkers, type JobWorkers } from '../../src/queue/job-workers.ts';
import { silentLogger } from '../../src/logger.ts';
import { fixData, queueTestEnv, REDIS_URL, waitFor, type QueueTestEnv } from '../helpers/queue-test-env.ts';

const STALLING_WORKER = path.join(import.meta.dirname, '..', 'fixtures', 'stalling-worker.ts');

describe('stalled jobs (real Redis, a real worker process)', () => {
  let env: QueueTestEnv;
  let workers: JobWorkers | undefined;

  beforeEach(async () => {
    env = await queueTestEnv();
  });
  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await env.cleanup();
  });

  it('a worker killed with SIGKILL mid-job: another worker takes the job over and completes it exactly once', async () => {
    const child = spawn(process.execPath, [STALLING_WORKER, REDIS_URL, env.prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await waitFor(`the worker process to be ready (output: ${output})`, () => output.includes('ready\n'), 20_000);
      // Same installation, cap 1: the killed worker's lease must not block the second job forever.
      const { jobId } = await env.queues.enqueueFix(fixData({ installationId: 3, issue: 1 }));
      await waitFor('the worker process to start the job', () => output.includes(`started ${jobId}`));
      await env.queues.enqueueFix(fixData({ installationId: 3, issue: 2 }));
      expect(await env.queues.queues.fix.getJobState(jobId)).toBe('active');
      child.kill('SIGKILL');
      await once(child, 'exit');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    const killedAt = Date.now();
    const completedKey = `${env.prefix}:test:completed`;
    workers = createJobWorkers({
      connection: env.redis,
      prefix: env.prefix,
      processors: {
        fix: async (data) => {
          await env.redis.hincrby(completedKey, String(data.issue.number), 1);
        },
      },
      concurrency: 2,
      perInstallationLimit: 1,
      logger: silentLogger(),
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
      capRetryDelayMs: 200,
    });
    await workers.ready();
    const fix = env.queues.queues.fix;
    await waitFor('the killed job to complete on the second worker', async () => (await fix.getJobState('fix-101-1')) === 'completed', 15_000);
    const recoveredMs = Date.now() - killedAt;
    await waitFor('the other job of the installation to complete', async () => (await fix.getJobState('fix-101-2')) === 'completed', 15_000);
    // A second completion of the first job would show up here.
    await sleep(1_500);
    expect(await env.redis.hgetall(completedKey)).toEqual({ '1': '1', '2': '1' });
    expect(await env.redis.get(`${env.prefix}:test:started`)).toBe('1');
    const job = await fix.getJob('fix-101-1');
    expect(job?.stalledCounter).toBe(1);
    // lock 1 s + stalled checks every 0.5 s: well under the test's budget.
    expect(recoveredMs).toBeLessThan(10_000);
  });
});
