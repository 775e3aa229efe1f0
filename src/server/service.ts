/**
 * The service behind `swe-bot serve [--role web|worker|all]` (design.md §1, §7):
 *
 * - `web`: the HTTP server, the webhook receiver and the app's handlers,
 *   which enqueue; the dashboard; no Docker needed;
 * - `worker`: the queue workers (job processors injected), the sandbox and
 *   its reaper, and an HTTP server with `/healthz` and `/metrics` only; for
 *   other machines sharing the Redis at REDIS_URL;
 * - `all` (the default, `npm start`): both in one process.
 *
 * Start-up order: Redis (REDIS_URL, or an embedded redis-server) → queues →
 * Docker check and reaper (workers) → GitHub auth (Probot) and the app →
 * workers → HTTP.
 * Shutdown runs it backwards: stop accepting webhooks (the HTTP server
 * closes, requests in flight are answered), close the workers (they take no
 * new jobs; running ones get SWE_BOT_SHUTDOWN_GRACE_MS, then are aborted and
 * go back to the queue), remove this process's containers, and stop the
 * embedded Redis last, after everything that writes to it.
 *
 * Without App credentials (the first start), web roles serve the
 * registration pages instead (app-registration.ts) and `done` resolves
 * `registered` once GitHub handed the credentials over: start again.
 */
import path from 'node:path';
import { Probot, type Options as ProbotOptions } from 'probot';
import type { Config } from '../config/load-config.ts';
import { configSecrets } from '../config/config-secrets.ts';
import { createApp, type AppDeps } from '../app/app.ts';
import { cloneOrigin } from '../app/payload-check.ts';
import { ConfigError, describeError, SweBotError } from '../errors.ts';
import { abortMeaning } from '../error-kind.ts';
import { AppOctokit } from '../github/app-octokit.ts';
import { redactingOctokit, tokenLearningFetch } from '../github/secret-redaction.ts';
import type { Logger } from '../logger.ts';
import type { FixJobData, QueueName, ReviewJobData } from '../queue/job-data.ts';
import { createJobQueues, type JobQueues } from '../queue/job-queues.ts';
import type { Processor } from '../queue/job-context.ts';
import { createJobWorkers, type JobWorkers, type JobWorkersOptions } from '../queue/job-workers.ts';
import { createRedisLock } from '../queue/redis-lock.ts';
import { createSandbox, type Sandbox } from '../sandbox/sandbox.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import { createSecretRedactor, type SecretRedactor } from '../util/secret-redactor.ts';
import { apiBaseUrl, readAppCredentials } from './app-credentials.ts';
import { createRegistrationHandler } from './app-registration.ts';
import { createGitHubAuth, type GitHubAuth } from '../github/github-auth.ts';
import { createHttpServer, type HealthReport } from './http-server.ts';
import { createMetrics, type JobOutcome, type Metrics } from './metrics.ts';
import { countOwnContainers, removeOwnContainers } from './own-containers.ts';
import { openRedis, type RedisHandle } from './redis.ts';
import { createWebhookReceiver, WEBHOOK_PATH, type WebhookReceiver } from './webhook-receiver.ts';

export const SERVICE_ROLES = ['web', 'worker', 'all'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export { WEBHOOK_PATH } from './webhook-receiver.ts';
/** How long requests in flight may take to finish at shutdown. */
export const HTTP_CLOSE_TIMEOUT_MS = 10_000;
/** A health check waits this long for Redis and for Docker. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;
/** The App manifest the registration page sends to GitHub. */
export const DEFAULT_MANIFEST_FILE = path.resolve(import.meta.dirname, '..', '..', 'app.yml');

export type JobProcessors = JobWorkersOptions['processors'];

/** What the job processors may use; given to {@link ServiceOptions.processors}. */
export interface WorkerContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sandbox: Sandbox;
  github: GitHubAuth;
  /** The process's secret redactor (it knows the App's credentials and every token minted). */
  redactor: SecretRedactor;
  /** The lock in Redis that keeps status comments one per issue under concurrency (src/queue/redis-lock.ts). */
  commentLock: KeyedLock;
}

export interface ServiceOptions {
  config: Config;
  role: ServiceRole;
  logger: Logger;
  /**
   * The process's secret redactor (src/util/secret-redactor.ts): the service
   * adds the configuration's secrets and the App's credentials to it, and
   * every request to GitHub is cleaned with it (src/github/secret-redaction.ts),
   * which also adds each installation token as it is minted. Give the same
   * one to {@link logger} (`createServiceLogger({ redact })`) so log lines are
   * cleaned too. Default: a new one, for GitHub requests only.
   */
  redactor?: SecretRedactor;
  /**
   * Builds the job processors (src/worker/job-processors.ts in `serve`; fakes in
   * tests). Required by the worker role; the all role without it runs no
   * workers (jobs wait in the queue) and says so.
   */
  processors?: (context: WorkerContext) => JobProcessors;
  /** Redis key prefix of the queues (tests). Default: config.queuePrefix (SWE_BOT_QUEUE_PREFIX), else the queue layer's `swe-bot`. */
  queuePrefix?: string;
  /** Where the registration writes the credentials. Default `.env` in the working folder. */
  envFile?: string;
  /** The App manifest. Default: app.yml beside package.json. */
  manifestFile?: string;
  /** Probot's Octokit class and request options (tests: TestOctokit, a fake fetch). Default Octokit: AppOctokit. */
  probot?: Pick<ProbotOptions, 'Octokit' | 'request'>;
  /**
   * Overrides for the app's handlers (benches: a configuration loader; tests:
   * the origin of the clone URLs deliveries may name, a git server on 127.0.0.1).
   */
  app?: Pick<AppDeps, 'permissions' | 'loadConfig' | 'cloneOrigin'>;
  /** An existing sandbox (tests). */
  sandbox?: Sandbox;
  /** Worker timings (tests). */
  workerOptions?: Pick<JobWorkersOptions, 'lockDurationMs' | 'stalledIntervalMs' | 'abortGraceMs' | 'capRetryDelayMs'>;
  /** The redis-server binary (tests). */
  redisServerBinary?: string;
}

export type ServiceExit = 'stopped' | 'registered';

export interface Service {
  readonly role: ServiceRole;
  /** `setup`: no App credentials yet, the registration pages are served. */
  readonly mode: 'running' | 'setup';
  /** The HTTP server's address, `http://host:port`. */
  readonly url: string;
  readonly metrics: Metrics;
  readonly queues: JobQueues | undefined;
  readonly redis: RedisHandle | undefined;
  readonly sandbox: Sandbox | undefined;
  /** `stopped` after stop(); `registered` when the App was just registered (start again). */
  readonly done: Promise<ServiceExit>;
  /** Graceful shutdown (see the module comment). Idempotent. */
  stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { config, role } = options;
  const logger = options.logger.child({ role });
  const web = role !== 'worker';
  const redactor = options.redactor ?? createSecretRedactor();
  for (const secret of configSecrets(config)) redactor.add(secret);
  const credentials = readAppCredentials(config.github);
  // As the service uses them (the key normalized, or read from PRIVATE_KEY_PATH): each a secret by value too.
  redactor.add(credentials?.privateKey);
  redactor.add(credentials?.webhookSecret);
  if (!credentials) {
    if (!web) {
      throw new ConfigError('the worker role needs the GitHub App credentials: APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH)', {
        hint: 'register the App first (swe-bot serve, then open its page; see README "Register the GitHub App") and give workers the same values',
      });
    }
    return startSetup(options, logger);
  }
  if (web && credentials.webhookSecret === undefined) {
    // Without it no delivery can be verified (webhook-receiver.ts), and an unverified one must not enqueue work.
    throw new ConfigError('WEBHOOK_SECRET is unset: webhooks could not be authenticated', {
      hint: "set it to the App's webhook secret (GitHub → the App's settings → Webhook secret)",
    });
  }
  if (role === 'worker' && config.redisUrl === undefined) {
    throw new ConfigError('the worker role needs REDIS_URL: the Redis the web process uses', {
      hint: 'set REDIS_URL=redis://host:6379 on every machine (an embedded redis-server is private to its process)',
    });
  }
  if (role === 'worker' && !options.processors) {
    throw new SweBotError('the worker role has no job processors to run', { kind: 'permanent', code: 'no_processors' });
  }

  // Undo what started if a later step fails, so a failed start leaves no redis-server or timers behind.
  const undo: { name: string; run: () => Promise<void> }[] = [];
  const rollback = async (): Promise<void> => {
    for (const step of undo.reverse()) await step.run().catch((error: unknown) => logger.warn({ err: describeError(error), step: step.name }, 'cleanup failed'));
  };
  try {
    const redis = await openRedis({ url: config.redisUrl, dataDir: config.dataDir, logger, ...(options.redisServerBinary ? { binary: options.redisServerBinary } : {}) });
    undo.push({ name: 'redis', run: () => redis.close() });
    logger.info({ redis: redis.where, embedded: redis.embedded !== undefined }, 'redis ready');
    const queuePrefix = options.queuePrefix ?? config.queuePrefix;
    const prefix = queuePrefix === undefined ? {} : { prefix: queuePrefix };
    const queues = web ? createJobQueues({ connection: redis.connection, logger, ...prefix }) : undefined;
    if (queues) undo.push({ name: 'queues', run: () => queues.close() });

    let sandbox: Sandbox | undefined;
    let reaper: { stop(): void } | undefined;
    const processorsFactory = role === 'web' ? undefined : options.processors;
    if (processorsFactory) {
      sandbox = options.sandbox ?? createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
      const version = await sandbox.ping();
      const startReaper = sandbox.startReaper();
      reaper = startReaper;
      undo.push({ name: 'reaper', run: () => Promise.resolve(startReaper.stop()) });
      // The first pass runs now: leftovers of a crashed run go before new jobs start.
      await startReaper.done;
      logger.info({ docker: version.Version, owner: sandbox.owner }, 'docker ready; leftovers reaped');
    }
    const ownSandbox = sandbox;
    const metrics = createMetrics({
      ...(queues ? { jobCounts: () => queues.counts() } : {}),
      ...(ownSandbox ? { containers: () => countOwnContainers(ownSandbox) } : {}),
    });

    const probot = new Probot({
      appId: credentials.appId,
      privateKey: credentials.privateKey,
      ...(credentials.webhookSecret === undefined ? {} : { secret: credentials.webhookSecret }),
      ...(config.github.host === 'github.com' ? {} : { baseUrl: apiBaseUrl(config.github) }),
      log: logger,
      Octokit: redactingOctokit(options.probot?.Octokit ?? AppOctokit, redactor),
      // Every token minted (installation and clone tokens) becomes a secret the redactor knows (src/github/secret-redaction.ts).
      request: { ...options.probot?.request, fetch: tokenLearningFetch(redactor, options.probot?.request?.fetch as typeof fetch | undefined) },
    });
    const github = createGitHubAuth(probot, logger, { writeSpacingMs: config.github.writeSpacingMs });
    const commentLock = createRedisLock({ redis: redis.connection, ...prefix });

    let webhooks: WebhookReceiver | undefined;
    if (queues && credentials.webhookSecret !== undefined) {
      const app = createApp({ queue: queues, github, logger, cloneOrigin: cloneOrigin(config.github), commentLock, ...options.app });
      webhooks = createWebhookReceiver({ secret: credentials.webhookSecret, receive: (delivery) => app.receive(delivery), logger });
    }

    let workers: JobWorkers | undefined;
    if (sandbox && processorsFactory) {
      const processors = instrument(processorsFactory({ config, logger, metrics, sandbox, github, redactor, commentLock }), metrics);
      const created = createJobWorkers({
        connection: redis.connection,
        ...prefix,
        processors,
        concurrency: config.workerConcurrency,
        perInstallationLimit: config.installationConcurrency,
        logger,
        shutdownTimeoutMs: config.shutdownGraceMs,
        lockDurationMs: config.jobLockMs,
        stalledIntervalMs: config.jobLockMs,
        ...options.workerOptions,
      });
      workers = created;
      undo.push({ name: 'workers', run: () => created.close() });
      await created.ready();
      logger.info({ concurrency: config.workerConcurrency, perInstallation: config.installationConcurrency, queues: Object.keys(processors) }, 'workers ready');
    } else if (role === 'all') {
      logger.warn('no job processors: requests are queued but no worker runs them in this process');
    }

    const health = async (): Promise<HealthReport> => {
      const checks: Record<string, string> = {};
      checks.redis = await redis.ping(HEALTH_CHECK_TIMEOUT_MS).then(() => 'ok', (error: unknown) => describeError(error));
      if (ownSandbox) {
        checks.docker = await withTimeout(ownSandbox.ping(), HEALTH_CHECK_TIMEOUT_MS).then(() => 'ok', (error: unknown) => describeError(error));
      }
      const ok = Object.values(checks).every((check) => check === 'ok');
      return { ok, role, mode: 'running', checks, ...(workers ? { jobsRunning: workers.running() } : {}) };
    };
    const http = await createHttpServer({
      logger,
      health,
      metrics,
      ...(webhooks ? { webhooks } : {}),
      ...(queues ? { dashboard: { queues: Object.values(queues.queues), user: config.admin.user, password: config.admin.password } } : {}),
    });
    const address = await http.listen(config.server.port, config.server.host);
    logger.info(
      { url: address.url, webhooks: web ? WEBHOOK_PATH : undefined, dashboard: web ? (config.admin.password ? '/admin/queues' : 'off (SWE_BOT_ADMIN_PASSWORD unset)') : undefined },
      'listening',
    );

    let resolveDone!: (exit: ServiceExit) => void;
    const done = new Promise<ServiceExit>((resolve) => (resolveDone = resolve));
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        logger.info('shutting down: no new webhooks or jobs');
        await step(logger, 'http', () => http.close(HTTP_CLOSE_TIMEOUT_MS));
        if (workers) {
          const running = workers.running();
          if (running) logger.info({ running, graceMs: config.shutdownGraceMs }, 'waiting for running jobs');
          await step(logger, 'workers', () => workers.close());
        }
        if (queues) await step(logger, 'queues', () => queues.close());
        reaper?.stop();
        if (ownSandbox) await step(logger, 'containers', () => removeOwnContainers(ownSandbox, logger));
        await step(logger, 'redis', () => redis.close());
        logger.info('stopped');
        resolveDone('stopped');
      })());

    return { role, mode: 'running', url: address.url, metrics, queues, redis, sandbox, done, stop };
  } catch (error) {
    await rollback();
    throw error;
  }
}

/** Setup mode: the registration pages, /healthz (503: not registered) and /metrics; no Redis, no workers. */
async function startSetup(options: ServiceOptions, logger: Logger): Promise<Service> {
  const { config, role } = options;
  const metrics = createMetrics();
  let resolveDone!: (exit: ServiceExit) => void;
  const done = new Promise<ServiceExit>((resolve) => (resolveDone = resolve));
  const registration = createRegistrationHandler({
    github: config.github,
    envFile: options.envFile ?? path.resolve('.env'),
    manifestFile: options.manifestFile ?? DEFAULT_MANIFEST_FILE,
    publicUrl: config.publicUrl,
    webhookPath: WEBHOOK_PATH,
    logger,
    onRegistered: () => void close('registered'),
  });
  const http = await createHttpServer({
    logger,
    metrics,
    registration,
    health: () => Promise.resolve({ ok: false, role, mode: 'setup', checks: { github: 'the GitHub App is not registered yet: open / on this server' } }),
  });
  let stopping: Promise<void> | undefined;
  const close = (exit: ServiceExit): Promise<void> =>
    (stopping ??= (async () => {
      await http.close(HTTP_CLOSE_TIMEOUT_MS);
      resolveDone(exit);
    })());
  const address = await http.listen(config.server.port, config.server.host);
  const shown = config.publicUrl ?? address.url.replace('://0.0.0.0:', '://localhost:').replace('://[::]:', '://localhost:');
  logger.warn(
    { url: `${shown}/setup` },
    `The GitHub App is not registered yet (APP_ID and PRIVATE_KEY are unset). Open ${shown}/setup to register it with GitHub's manifest flow; ` +
      'the credentials are written to .env and the service starts. Or register it by hand from app.yml and set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET (README: "Register the GitHub App").',
  );
  return { role, mode: 'setup', url: address.url, metrics, queues: undefined, redis: undefined, sandbox: undefined, done, stop: () => close('stopped') };
}

/** Times every job run for `swe_bot_job_duration_seconds`. */
function instrument(processors: JobProcessors, metrics: Metrics): JobProcessors {
  const wrap = <T extends FixJobData | ReviewJobData>(queue: QueueName, processor: Processor<T>): Processor<T> =>
    async (data, ctx) => {
      const started = performance.now();
      let outcome: JobOutcome = 'failed';
      try {
        const result = await processor(data, ctx);
        outcome = 'completed';
        return result;
      } catch (error) {
        const aborted = abortMeaning(ctx.signal);
        if (aborted) outcome = aborted === 'cancelled' ? 'cancelled' : 'requeued';
        throw error;
      } finally {
        metrics.jobFinished(queue, outcome, (performance.now() - started) / 1000);
      }
    };
  return {
    ...(processors.fix ? { fix: wrap('fix', processors.fix) } : {}),
    ...(processors.review ? { review: wrap('review', processors.review) } : {}),
  };
}

/** One shutdown step: logged when it fails, never stopping the steps after it. */
async function step(logger: Logger, name: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (error) {
    logger.error({ err: describeError(error), step: name }, 'shutdown step failed');
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
