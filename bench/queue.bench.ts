/**
 * The queue layer against bare BullMQ, on the same Redis, in the same run:
 *
 * - queue_noop_throughput: no-op jobs per second from the first enqueue to
 *   the last job processed, N jobs at the same worker concurrency. Ours goes
 *   through createJobQueues (schema, the add and its duplicate check in one
 *   script) and createJobWorkers (schema, per-installation lease, cancel
 *   watch, per-job logger and abort controller); the baseline is `Queue.add` + a `Worker` with a no-op
 *   processor and the same job options, so the ratio is our layer's cost.
 *   Target: ours / baseline >= 0.8, for the run pair (ours and baseline back
 *   to back, in alternating order) with the median ratio.
 *
 * Memory, printed as details: the heap growth over a run (median; no forced
 * GC, so indicative only) for each side, and the process RSS at the end.
 * REDIS_URL, else 127.0.0.1:6379 (scripts/setup-host.sh starts it).
 */
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from '../src/logger.ts';
import { createJobQueues } from '../src/queue/job-queues.ts';
import { createJobWorkers } from '../src/queue/job-workers.ts';
import type { FixJobData } from '../src/queue/job-data.ts';
import { median, report } from './report.ts';

const JOBS = 2_000;
const CONCURRENCY = 10;
/** Odd: the middle pair is well defined. */
const RUNS = 9;
const WARMUPS = 1;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The job options our queues use, given to the baseline too. */
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 30_000 },
  removeOnComplete: { age: 24 * 60 * 60, count: 1000 },
  removeOnFail: { age: 7 * 24 * 60 * 60, count: 1000 },
};

interface Sample {
  jobsPerSecond: number;
  heapGrowthMb: number;
}

export async function run(): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  // Warnings only, and on stderr: stdout carries nothing but measure lines.
  const logger = pino({ name: 'bench', level: 'warn' }, pino.destination(2)) as Logger;
  try {
    progress(`queue_noop_throughput: ${JOBS} jobs, concurrency ${CONCURRENCY}, ${WARMUPS} warm-up + ${RUNS} runs each, alternating`);
    const ours: Sample[] = [];
    const baseline: Sample[] = [];
    for (let i = 0; i < WARMUPS + RUNS; i += 1) {
      // Alternating which goes first: neither always inherits the other's garbage.
      let a: Sample;
      let b: Sample;
      if (i % 2 === 0) {
        a = await measure(() => oursRun(redis, logger));
        b = await measure(() => bareRun(redis));
      } else {
        b = await measure(() => bareRun(redis));
        a = await measure(() => oursRun(redis, logger));
      }
      progress(`run ${i + 1}: ours ${a.jobsPerSecond.toFixed(0)} jobs/s, bare BullMQ ${b.jobsPerSecond.toFixed(0)} jobs/s`);
      if (i >= WARMUPS) {
        ours.push(a);
        baseline.push(b);
      }
    }
    // Other load on the machine comes and goes, and hits a pair's two runs
    // alike far more often than runs minutes apart: the pair with the median
    // ratio is reported (medians of each side are in the details).
    const pairs = ours
      .map((sample, i) => ({ ours: sample, baseline: baseline[i] as Sample }))
      .sort((x, y) => x.ours.jobsPerSecond / x.baseline.jobsPerSecond - y.ours.jobsPerSecond / y.baseline.jobsPerSecond);
    const middle = pairs[Math.floor(pairs.length / 2)] as (typeof pairs)[number];
    const ratios = pairs.map((pair) => pair.ours.jobsPerSecond / pair.baseline.jobsPerSecond);
    report({
      measure: 'queue_noop_throughput',
      ours: middle.ours.jobsPerSecond,
      baseline: middle.baseline.jobsPerSecond,
      target: '>= 0.8',
      unit: 'jobs/s',
      runs: RUNS,
      details: {
        jobs: JOBS,
        concurrency: CONCURRENCY,
        ours_median: Math.round(median(ours.map((s) => s.jobsPerSecond))),
        baseline_median: Math.round(median(baseline.map((s) => s.jobsPerSecond))),
        ratio_min: round2(Math.min(...ratios)),
        ratio_max: round2(Math.max(...ratios)),
        ours_heap_growth_mb: round1(median(ours.map((s) => s.heapGrowthMb))),
        baseline_heap_growth_mb: round1(median(baseline.map((s) => s.heapGrowthMb))),
        rss_mb: round1(process.memoryUsage().rss / 1024 / 1024),
      },
    });
  } finally {
    await redis.quit();
  }
}

async function measure(fn: () => Promise<number>): Promise<Sample> {
  const heapBefore = process.memoryUsage().heapUsed;
  const ms = await fn();
  return { jobsPerSecond: (JOBS / ms) * 1000, heapGrowthMb: (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024 };
}

/** Resolves when `count()` reaches JOBS. */
function counter(): { hit: () => void; done: Promise<void> } {
  let seen = 0;
  let resolve: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    hit: () => {
      seen += 1;
      if (seen === JOBS) resolve();
    },
    done,
  };
}

async function oursRun(redis: Redis, logger: Logger): Promise<number> {
  const prefix = randomPrefix();
  const queues = createJobQueues({ connection: redis, prefix, logger });
  const { hit, done } = counter();
  const workers = createJobWorkers({
    connection: redis,
    prefix,
    processors: {
      fix: async () => {
        hit();
        await Promise.resolve();
      },
    },
    concurrency: CONCURRENCY,
    perInstallationLimit: 10_000,
    logger,
  });
  try {
    await workers.ready();
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: JOBS }, (_, i) => queues.enqueueFix(fixData(i + 1))));
    if (results.some((r) => r.status !== 'queued')) throw new Error('a bench job was reported duplicate');
    await done;
    return performance.now() - started;
  } finally {
    await workers.close();
    for (const queue of Object.values(queues.queues)) await queue.obliterate({ force: true });
    await queues.close();
  }
}

async function bareRun(redis: Redis): Promise<number> {
  const prefix = randomPrefix();
  const queue = new Queue('fix', { connection: redis, prefix, defaultJobOptions: JOB_OPTIONS });
  const { hit, done } = counter();
  const worker = new Worker(
    'fix',
    async () => {
      hit();
      await Promise.resolve();
    },
    { connection: redis, prefix, concurrency: CONCURRENCY },
  );
  try {
    await worker.waitUntilReady();
    const started = performance.now();
    await Promise.all(Array.from({ length: JOBS }, (_, i) => queue.add('fix', fixData(i + 1), { jobId: `fix-101-${i + 1}` })));
    await done;
    return performance.now() - started;
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

function fixData(issue: number): FixJobData {
  return {
    v: 3,
    deliveryId: `bench-${issue}`,
    installationId: 1,
    repository: { id: 101, owner: 'acme', name: 'repo', cloneUrl: 'https://github.com/acme/repo.git', defaultBranch: 'main' },
    requestedBy: 'octocat',
    issue: { number: issue },
    trigger: 'label',
  };
}

function randomPrefix(): string {
  return `swe-bot-bench-${randomBytes(6).toString('hex')}`;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
