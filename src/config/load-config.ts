/**
 * The process environment, parsed and validated once at start-up
 * (design.md §6). Nothing else in swe-bot reads `process.env`: every stage
 * receives the values it needs from the object returned here.
 */
import path from 'node:path';
import { z } from 'zod';
import { parseByteSize } from '../util/units.ts';
import { ConfigError } from '../errors.ts';
import { parseBuildSecrets, type BuildSecrets } from './build-secrets.ts';
import { EgressHostSchema } from './egress-hosts.ts';
// Data, not code: the pinned toolchains (src/sandbox/toolchains.ts reads the same file).
import toolchains from '../../docker/base/toolchains.json' with { type: 'json' };

const byteSize = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const bytes = parseByteSize(text);
      if (bytes === undefined || bytes <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a size such as 512m or 4g` });
        return z.NEVER;
      }
      return bytes;
    });

/**
 * Defaults the queue layer also falls back to when a caller leaves an option
 * out (src/queue/job-workers.ts): one number each, here.
 */
/** `SWE_BOT_SHUTDOWN_GRACE_MS`: how long running jobs may finish after a stop request. */
export const SHUTDOWN_GRACE_MS = 20_000;
/** `SWE_BOT_JOB_LOCK_MS`: a job's lock (and the stalled-job check's interval). */
export const JOB_LOCK_MS = 30_000;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const optionalText = z
  .string()
  .optional()
  .transform((text) => (text === undefined || text.trim() === '' ? undefined : text));

export const CACHE_LEVELS = ['none', 'base', 'env', 'instance'] as const;
export type CacheLevel = (typeof CACHE_LEVELS)[number];

const EnvSchema = z.object({
  // GitHub App credentials: optional here, because the manifest flow
  // (src/server/app-registration.ts) writes them on the first start;
  // `swe-bot doctor` reports them missing.
  APP_ID: optionalText,
  PRIVATE_KEY: optionalText,
  PRIVATE_KEY_PATH: optionalText,
  WEBHOOK_SECRET: optionalText,
  GHE_HOST: z.string().default('github.com'),
  GHE_PROTOCOL: z.enum(['https', 'http']).default('https'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  DOCKER_HOST: optionalText,
  OPENAI_BASE_URL: z.url().default('http://127.0.0.1:8000/v1'),
  OPENAI_API_KEY: z.string().default('EMPTY'),
  SWE_BOT_MODEL: z.string().min(1).default('Skywork-SWE-32B'),
  SWE_BOT_TOOL_FORMAT: z.enum(['text', 'native']).default('text'),
  SWE_BOT_EXTRA_CA_CERTS: optionalText,
  SWE_BOT_WORKER_CONCURRENCY: positiveInt(2),
  SWE_BOT_SANDBOX_MEMORY: byteSize('4g'),
  SWE_BOT_SANDBOX_CPUS: z.coerce.number().positive().max(1024).default(2),
  SWE_BOT_SANDBOX_PIDS: positiveInt(512),
  SWE_BOT_SANDBOX_DISK: byteSize('4g'),
  SWE_BOT_DATA_DIR: z.string().default('.data'),
  SWE_BOT_BASE_OS_IMAGE: z.string().min(1).default(toolchains.os_image),
  SWE_BOT_DEBIAN_MIRROR: z.url().default('http://deb.debian.org/debian'),
  SWE_BOT_OS_IMAGE_PULL: z.enum(['auto', 'never']).default('auto'),
  SWE_BOT_NPM_REGISTRY: z.url().default('https://registry.npmjs.org'),
  SWE_BOT_EGRESS_ALLOW: z
    .string()
    .default('')
    .transform((text) => text.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(EgressHostSchema)),
  SWE_BOT_BUILD_SECRETS: optionalText.pipe(z.string().optional()),
  SWE_BOT_EGRESS_DIR: optionalText,
  SWE_BOT_EGRESS_VOLUME: optionalText.pipe(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a Docker volume name (letters, digits, "_", "." and "-")').optional(),
  ),
  SWE_BOT_CACHE_LEVEL: z.enum(CACHE_LEVELS).default('env'),
  SWE_BOT_IMAGE_CACHE_MAX: byteSize('50g'),
  SWE_BOT_EXEC_TIMEOUT_MS: positiveInt(30 * 60_000),
  SWE_BOT_ENV_BUILD_TIMEOUT_MS: positiveInt(30 * 60_000),
  SWE_BOT_INSTALLATION_CONCURRENCY: positiveInt(2),
  SWE_BOT_GITHUB_WRITE_SPACING_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  SWE_BOT_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(SHUTDOWN_GRACE_MS),
  SWE_BOT_JOB_LOCK_MS: z.coerce.number().int().min(1_000).default(JOB_LOCK_MS),
  SWE_BOT_QUEUE_PREFIX: optionalText.pipe(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only (it starts Redis key names)').optional(),
  ),
  SWE_BOT_ADMIN_USER: z.string().min(1).default('admin'),
  SWE_BOT_ADMIN_PASSWORD: optionalText,
  SWE_BOT_PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  SWE_BOT_KEEP_TRAJECTORIES_DAYS: z.coerce.number().int().min(0).default(0),
});

/** The validated settings; see design.md §6 for what each variable means. */
export interface Config {
  github: {
    appId: string | undefined;
    privateKey: string | undefined;
    privateKeyPath: string | undefined;
    webhookSecret: string | undefined;
    host: string;
    protocol: 'https' | 'http';
    /**
     * Least time between two mutating requests of one installation, ms.
     * Default 1000 (`SWE_BOT_GITHUB_WRITE_SPACING_MS`), GitHub's advice:
     * https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests
     */
    writeSpacingMs: number;
  };
  server: { port: number; host: string };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Unset: the app starts its own redis-server with data under `dataDir`. */
  redisUrl: string | undefined;
  /** Unset: the local Docker socket (dockerode's own default). */
  dockerHost: string | undefined;
  model: { baseUrl: string; apiKey: string; name: string; toolFormat: 'text' | 'native' };
  workerConcurrency: number;
  /**
   * Jobs of one GitHub App installation running at once across every worker
   * sharing the Redis (`SWE_BOT_INSTALLATION_CONCURRENCY`, default 2), so one
   * organisation cannot occupy every machine.
   */
  installationConcurrency: number;
  /**
   * At shutdown, how long running jobs may take to finish before they are
   * aborted and queued again for another worker, ms
   * (`SWE_BOT_SHUTDOWN_GRACE_MS`, default 20 000). Keep it below the process
   * manager's kill timeout (docker-compose.yml sets `stop_grace_period`).
   */
  shutdownGraceMs: number;
  /**
   * How long a worker that stopped renewing its jobs' locks (killed, frozen,
   * cut off from Redis) keeps them, ms; workers also look for jobs whose lock
   * expired this often, so another worker takes a job over within about
   * three times this after a kill (README "Scale workers"), and a live worker
   * stops a run whose lock went unrenewed for 90% of it
   * (`SWE_BOT_JOB_LOCK_MS`, default 30 000; BullMQ's lockDuration and
   * stalledInterval: https://docs.bullmq.io/guide/workers/stalled-jobs).
   */
  jobLockMs: number;
  /**
   * Redis key prefix of the queues and swe-bot's own keys
   * (`SWE_BOT_QUEUE_PREFIX`; unset: the queue layer's `swe-bot`), so that
   * several deployments can share one Redis. Web and workers must agree.
   */
  queuePrefix: string | undefined;
  /**
   * Bull Board at `/admin/queues`, behind HTTP basic auth. No password
   * (`SWE_BOT_ADMIN_PASSWORD` unset): the dashboard is off (404), never open.
   */
  admin: { user: string; password: string | undefined };
  /**
   * The address GitHub reaches this server at (`SWE_BOT_PUBLIC_URL`, e.g.
   * `https://swe-bot.example.com`). Used by the registration page for the
   * App's webhook URL; unset, the address the page was opened at.
   */
  publicUrl: string | undefined;
  dataDir: string;
  /**
   * Days the App keeps each fix job's conversations (trajectories, result,
   * patch) under {@link trajectoryDir}, as training data for
   * `swe-bot export-trajectories` (`SWE_BOT_KEEP_TRAJECTORIES_DAYS`, default
   * 0: nothing is written). Older job folders are removed at worker start-up
   * and after each fix job.
   */
  keepTrajectoriesDays: number;
  /** Where fix jobs keep their trajectories, one folder per job (`<dataDir>/trajectories`); export-trajectories reads it by default. */
  trajectoryDir: string;
  sandbox: SandboxSettings;
}

/** Settings of the container sandbox (src/sandbox). */
export interface SandboxSettings {
  /** Memory limit per container, bytes. Default 4 GiB (`SWE_BOT_SANDBOX_MEMORY=4g`). */
  memoryBytes: number;
  /** CPU limit per container. Default 2. */
  cpus: number;
  /** Process limit per container. Default 512. */
  pids: number;
  /**
   * Disk a container may write on top of its image (the repository copy
   * included), bytes. Default 4 GiB (`SWE_BOT_SANDBOX_DISK=4g`); see
   * src/sandbox/disk-limit.ts for how it is enforced.
   */
  diskBytes: number;
  /** The OS image the base Dockerfiles start FROM. Default: `os_image` of docker/base/toolchains.json, `debian:bookworm-slim`. */
  baseOsImage: string;
  /** Debian mirror used to bootstrap the OS image when no registry answers. */
  debianMirror: string;
  /** `auto`: try a registry pull before bootstrapping; `never`: bootstrap right away (offline sites). */
  osImagePull: 'auto' | 'never';
  /** npm registry used to fetch Node.js builds inside images. */
  npmRegistry: string;
  /** SWE_BOT_EGRESS_ALLOW: host names environment builds may reach besides the registries (src/sandbox/egress-policy.ts). Default none. */
  egressAllow: string[];
  /** SWE_BOT_BUILD_SECRETS resolved: per account login (or `*`), what setup commands get (src/config/build-secrets.ts). Default none. */
  buildSecrets: BuildSecrets;
  /** A PEM bundle the images trust, for TLS-inspecting proxies. */
  extraCaCertsFile: string | undefined;
  /** What stays cached after a job (SWE-bench's levels). Default `env`. */
  cacheLevel: CacheLevel;
  /** Disk cap for environment images; least recently used are evicted. Default 50 GiB. */
  imageCacheMaxBytes: number;
  /** Default wall-clock limit of one command in a container. Default 30 min. */
  execTimeoutMs: number;
  /** Wall-clock limit of one environment build. Default 30 min. */
  envBuildTimeoutMs: number;
  /** Where build logs are kept. */
  logDir: string;
  /** Where the setup agent's confirmed recipes are kept, one file per repository state (`<dataDir>/recipes`). */
  recipeDir: string;
  /** Where test runs at a commit are remembered, one file per image, commit and command (`<dataDir>/runs`). */
  runDir: string;
  /**
   * SWE_BOT_EGRESS_DIR: where the egress proxies' sockets are; the engine
   * mounts it into the forwarders, so it must be a path of the engine's
   * machine, or the folder where SWE_BOT_EGRESS_VOLUME is mounted. Default `<data>/egress`.
   */
  egressDir: string;
  /**
   * SWE_BOT_EGRESS_VOLUME: a Docker volume mounted at `egressDir` in swe-bot's
   * own container (when swe-bot runs in one); forwarders mount that volume
   * instead of the path. Default unset: the path is bind-mounted.
   */
  egressVolume: string | undefined;
}

/**
 * Parses the environment. Throws a {@link ConfigError} naming every bad
 * variable, so the process fails at start-up rather than mid-job.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SWE_BOT_DATA_DIR);
  return {
    github: {
      appId: e.APP_ID,
      privateKey: e.PRIVATE_KEY,
      privateKeyPath: e.PRIVATE_KEY_PATH,
      webhookSecret: e.WEBHOOK_SECRET,
      host: e.GHE_HOST,
      protocol: e.GHE_PROTOCOL,
      writeSpacingMs: e.SWE_BOT_GITHUB_WRITE_SPACING_MS,
    },
    server: { port: e.PORT, host: e.HOST },
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    dockerHost: e.DOCKER_HOST,
    model: {
      baseUrl: e.OPENAI_BASE_URL,
      apiKey: e.OPENAI_API_KEY,
      name: e.SWE_BOT_MODEL,
      toolFormat: e.SWE_BOT_TOOL_FORMAT,
    },
    workerConcurrency: e.SWE_BOT_WORKER_CONCURRENCY,
    installationConcurrency: e.SWE_BOT_INSTALLATION_CONCURRENCY,
    shutdownGraceMs: e.SWE_BOT_SHUTDOWN_GRACE_MS,
    jobLockMs: e.SWE_BOT_JOB_LOCK_MS,
    queuePrefix: e.SWE_BOT_QUEUE_PREFIX,
    admin: { user: e.SWE_BOT_ADMIN_USER, password: e.SWE_BOT_ADMIN_PASSWORD },
    publicUrl: e.SWE_BOT_PUBLIC_URL?.replace(/\/+$/, ''),
    dataDir,
    keepTrajectoriesDays: e.SWE_BOT_KEEP_TRAJECTORIES_DAYS,
    trajectoryDir: path.join(dataDir, 'trajectories'),
    sandbox: {
      memoryBytes: e.SWE_BOT_SANDBOX_MEMORY,
      cpus: e.SWE_BOT_SANDBOX_CPUS,
      pids: e.SWE_BOT_SANDBOX_PIDS,
      diskBytes: e.SWE_BOT_SANDBOX_DISK,
      baseOsImage: e.SWE_BOT_BASE_OS_IMAGE,
      debianMirror: e.SWE_BOT_DEBIAN_MIRROR,
      osImagePull: e.SWE_BOT_OS_IMAGE_PULL,
      npmRegistry: e.SWE_BOT_NPM_REGISTRY,
      egressAllow: e.SWE_BOT_EGRESS_ALLOW,
      buildSecrets: parseBuildSecrets(e.SWE_BOT_BUILD_SECRETS, env),
      extraCaCertsFile: e.SWE_BOT_EXTRA_CA_CERTS,
      cacheLevel: e.SWE_BOT_CACHE_LEVEL,
      imageCacheMaxBytes: e.SWE_BOT_IMAGE_CACHE_MAX,
      execTimeoutMs: e.SWE_BOT_EXEC_TIMEOUT_MS,
      envBuildTimeoutMs: e.SWE_BOT_ENV_BUILD_TIMEOUT_MS,
      logDir: path.join(dataDir, 'logs'),
      recipeDir: path.join(dataDir, 'recipes'),
      runDir: path.join(dataDir, 'runs'),
      egressDir: e.SWE_BOT_EGRESS_DIR === undefined ? path.join(dataDir, 'egress') : path.resolve(e.SWE_BOT_EGRESS_DIR),
      egressVolume: e.SWE_BOT_EGRESS_VOLUME,
    },
  };
}
