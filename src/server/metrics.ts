/**
 * `/metrics` in Prometheus' text format (prom-client,
 * https://github.com/siimon/prom-client). One registry per service (not
 * prom-client's global one), so tests and benches can run several services
 * in one process.
 *
 * - `swe_bot_jobs{queue,state}`: jobs by BullMQ state, read from Redis when
 *   scraped (web and all roles);
 * - `swe_bot_job_duration_seconds{queue,outcome}`: how long jobs ran in this
 *   process (worker and all roles);
 * - `swe_bot_model_tokens_total{kind}`: prompt and completion tokens the agent used;
 * - `swe_bot_sandbox_containers`: containers this process has running;
 * - `swe_bot_redis_up`: 1 when the last scrape could read the queues (web and all roles);
 * - Node's process metrics (`process_resident_memory_bytes`, event loop lag, …).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobCounts } from '../queue/job-queues.ts';
import type { QueueName } from '../queue/job-data.ts';

/**
 * How a job run ended, as far as this process saw it: `cancelled` by a
 * person or a newer push, `requeued` when a shutdown aborted it (it runs
 * again elsewhere).
 */
export type JobOutcome = 'completed' | 'failed' | 'cancelled' | 'requeued';

/**
 * Job durations span seconds (a refused request) to an hour (best-of-N on a
 * slow test suite): buckets in seconds.
 */
export const JOB_DURATION_BUCKETS_S = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

/** What workers and job runners call; cheap and synchronous. */
export interface Metrics {
  readonly registry: Registry;
  /** One finished job run of `queue`, `seconds` long. */
  jobFinished(queue: QueueName, outcome: JobOutcome, seconds: number): void;
  /** Tokens of one model call (or a sum of several). */
  tokens(prompt: number, completion: number): void;
  /** Containers this process has running now. */
  sandboxContainers(n: number): void;
  /** The text format and its content type, for the HTTP handler. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsOptions {
  /** Job counts per queue, read on each scrape; without it `swe_bot_jobs` stays empty. */
  jobCounts?: () => Promise<Record<QueueName, JobCounts>>;
  /** Counts this process's containers on each scrape (overrides what `sandboxContainers()` set). */
  containers?: () => Promise<number>;
  /** Node's process metrics. Default true. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });

  const { jobCounts, containers } = options;
  // prom-client collects all metrics of a scrape at once; the two gauges
  // below share one read of the counts per scrape.
  let read: Promise<Record<QueueName, JobCounts> | undefined> | undefined;
  const readCounts = (): Promise<Record<QueueName, JobCounts> | undefined> => {
    if (!jobCounts) return Promise.resolve(undefined);
    read ??= jobCounts()
      .catch(() => undefined)
      .finally(() => setImmediate(() => (read = undefined)));
    return read;
  };
  new Gauge({
    name: 'swe_bot_jobs',
    help: 'Jobs by queue and BullMQ state (waiting, active, delayed, prioritized, completed, failed, paused)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    // Read when scraped: the counts live in Redis, shared by every process.
    async collect() {
      const counts = await readCounts();
      this.reset();
      for (const [queue, states] of Object.entries(counts ?? {})) {
        for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
      }
    },
  });
  if (jobCounts) {
    new Gauge({
      name: 'swe_bot_redis_up',
      help: '1 when this scrape could read the queue counts from Redis',
      registers: [registry],
      async collect() {
        this.set((await readCounts()) ? 1 : 0);
      },
    });
  }
  const durations = new Histogram({
    name: 'swe_bot_job_duration_seconds',
    help: 'Wall time of job runs in this process, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: JOB_DURATION_BUCKETS_S,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'swe_bot_model_tokens_total',
    help: 'Model tokens used by the agent, by kind (prompt, completion)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const sandbox = new Gauge({
    name: 'swe_bot_sandbox_containers',
    help: 'Sandbox containers this process has now',
    registers: [registry],
    async collect() {
      if (!containers) return;
      try {
        this.set(await containers());
      } catch {
        // The engine is down: /healthz says so; keep the last value.
      }
    },
  });
  // Present from the start, so dashboards see zeros rather than no series.
  tokens.inc({ kind: 'prompt' }, 0);
  tokens.inc({ kind: 'completion' }, 0);

  return {
    registry,
    jobFinished(queue, outcome, seconds) {
      durations.observe({ queue, outcome }, Math.max(0, seconds));
    },
    tokens(prompt, completion) {
      if (prompt > 0) tokens.inc({ kind: 'prompt' }, prompt);
      if (completion > 0) tokens.inc({ kind: 'completion' }, completion);
    },
    sandboxContainers(n) {
      sandbox.set(n);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
