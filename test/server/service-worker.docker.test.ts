/**
 * The worker role in-process with fake job processors and a fake sandbox:
 * health follows Redis and Docker, jobs run and are timed for /metrics, and
 * a shutdown lets a running job finish within the grace period or aborts it
 * and puts it back in the queue.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import type { FixJobData } from '../../src/queue/job-data.ts';
import { createJobQueues, type JobQueues } from '../../src/queue/job-queues.ts';
import type { JobContext } from '../../src/queue/job-context.ts';
import type { Sandbox } from '../../src/sandbox/sandbox.ts';
import { startService, type Service, type ServiceOptions } from '../../src/server/service.ts';
import { openRedis, type RedisHandle } from '../../src/server/redis.ts';
import { deleteKeys, randomPrefix, REDIS_URL, serviceConfig } from '../helpers/service-fixture.ts';

interface Harness {
  service: Service;
  producer: JobQueues;
  dockerUp: { value: boolean };
  removed: string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function fakeSandbox(dockerUp: { value: boolean }, removed: string[]): Sandbox {
  const containers = [{ Id: 'c-left-by-a-job', Labels: {} }];
  const docker = {
    listContainers: () => Promise.resolve(containers.filter((c) => !removed.includes(c.Id))),
    getContainer: (id: string) => ({
      remove: () => {
        removed.push(id);
        return Promise.resolve();
      },
    }),
  } as unknown as Docker;
  return {
    docker,
    owner: { host: 'test', pid: process.pid, bootId: 'fake' },
    ping: () => (dockerUp.value ? Promise.resolve({ Version: 'fake' } as Docker.DockerVersion) : Promise.reject(new Error('Cannot reach the Docker engine'))),
    startReaper: () => ({ stop: () => undefined, done: Promise.resolve({ containers: [], images: [] }) }),
  } as unknown as Sandbox;
}

async function startWorker(fix: (data: FixJobData, ctx: JobContext) => Promise<unknown>, env: Record<string, string | undefined> = {}): Promise<Harness> {
  const prefix = randomPrefix();
  const producerRedis: RedisHandle = await openRedis({ url: REDIS_URL, dataDir: '/nonexistent', logger: silentLogger() });
  const producer = createJobQueues({ connection: producerRedis.connection, prefix, logger: silentLogger(), backoffMs: 10 });
  const dockerUp = { value: true };
  const removed: string[] = [];
  const options: ServiceOptions = {
    config: serviceConfig({ SWE_BOT_SHUTDOWN_GRACE_MS: '300', ...env }),
    role: 'worker',
    logger: silentLogger(),
    queuePrefix: prefix,
    sandbox: fakeSandbox(dockerUp, removed),
    processors: () => ({ fix }),
    workerOptions: { abortGraceMs: 2_000 },
  };
  const service = await startService(options);
  cleanups.push(async () => {
    await service.stop();
    await producer.close();
    await producerRedis.close();
    await deleteKeys(prefix);
  });
  return { service, producer, dockerUp, removed };
}

function fixJob(issue: number): FixJobData {
  return {
    v: 3,
    deliveryId: `d-${issue}`,
    installationId: 7,
    repository: { id: 11, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
    requestedBy: 'alice',
    issue: { number: issue },
    trigger: 'label',
  };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

it('reports Redis and Docker on /healthz, 503 naming Docker when it is down', async () => {
  const { service, dockerUp } = await startWorker(() => Promise.resolve());
  const ok = await fetch(`${service.url}/healthz`);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toEqual({ ok: true, role: 'worker', mode: 'running', checks: { redis: 'ok', docker: 'ok' }, jobsRunning: 0 });
  dockerUp.value = false;
  const down = await fetch(`${service.url}/healthz`);
  expect(down.status).toBe(503);
  expect(await down.json()).toMatchObject({ ok: false, checks: { redis: 'ok', docker: 'Cannot reach the Docker engine' } });
  // A worker serves no webhooks and no dashboard.
  expect((await fetch(`${service.url}/api/github/webhooks`, { method: 'POST', body: '{}' })).status).toBe(404);
  expect((await fetch(`${service.url}/admin/queues`)).status).toBe(404);
});

it('runs jobs and times them for /metrics', async () => {
  const seen: number[] = [];
  const { service, producer } = await startWorker((data) => {
    seen.push(data.issue.number);
    return Promise.resolve({ verdict: 'verified' });
  });
  await producer.enqueueFix(fixJob(1));
  await until(() => seen.length === 1);
  await until(async () => (await producer.queues.fix.getJobCounts('completed')).completed === 1);
  const text = await (await fetch(`${service.url}/metrics`)).text();
  expect(text).toContain('swe_bot_job_duration_seconds_count{queue="fix",outcome="completed"} 1');
  expect(text).toMatch(/swe_bot_sandbox_containers \d/);
  // Queue gauges belong to the web role.
  expect(text).not.toContain('swe_bot_jobs{');
});

it('lets a running job finish within the grace period at shutdown', async () => {
  let finished = false;
  const { service, producer, removed } = await startWorker(async () => {
    await sleep(150);
    finished = true;
  });
  await producer.enqueueFix(fixJob(2));
  await until(async () => (await producer.queues.fix.getJobCounts('active')).active === 1);
  await service.stop();
  expect(finished).toBe(true);
  expect(await producer.queues.fix.getJobCounts('completed', 'waiting', 'delayed')).toEqual({ completed: 1, waiting: 0, delayed: 0 });
  // The containers this process had are removed once the workers stopped.
  expect(removed).toEqual(['c-left-by-a-job']);
});

it('aborts a job that outlives the grace period and puts it back in the queue', async () => {
  let aborted: unknown;
  const { service, producer } = await startWorker(
    (_data, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          aborted = ctx.signal.reason;
          reject(new Error('stopped'));
        });
      }),
  );
  await producer.enqueueFix(fixJob(3));
  await until(async () => (await producer.queues.fix.getJobCounts('active')).active === 1);
  const metricsBefore = service.metrics;
  const started = Date.now();
  await service.stop();
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(aborted).toMatchObject({ code: 'worker_shutdown' });
  const counts = await producer.queues.fix.getJobCounts('waiting', 'delayed', 'failed', 'active');
  expect(counts.failed).toBe(0);
  expect(counts.active).toBe(0);
  expect((counts.waiting ?? 0) + (counts.delayed ?? 0)).toBe(1);
  expect(await metricsBefore.registry.getSingleMetricAsString('swe_bot_job_duration_seconds')).toContain('swe_bot_job_duration_seconds_count{queue="fix",outcome="requeued"} 1');
});

it('refuses the worker role without REDIS_URL (an embedded Redis is private to its process)', async () => {
  await expect(startService({ config: serviceConfig({ REDIS_URL: undefined }), role: 'worker', logger: silentLogger(), processors: () => ({}) })).rejects.toThrow(
    'the worker role needs REDIS_URL: the Redis the web process uses',
  );
});

it('refuses the worker role without App credentials', async () => {
  await expect(startService({ config: serviceConfig({ APP_ID: undefined }), role: 'worker', logger: silentLogger(), processors: () => ({}) })).rejects.toThrow(
    /the worker role needs the GitHub App credentials/,
  );
});
