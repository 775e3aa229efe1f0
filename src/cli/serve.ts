/**
 * `swe-bot serve [--role web|worker|all]` (`npm start` runs `serve`): the
 * GitHub App (design.md §7). The service itself is src/server/service.ts;
 * this file reads `.env`, builds the job processors, and turns SIGTERM and
 * SIGINT into a graceful shutdown (a second signal exits at once).
 *
 * On the first start, without App credentials, the service shows the
 * registration page; once GitHub hands the credentials over they are written
 * to `.env`, read back here, and the service starts again in the same process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../config/load-config.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { SERVICE_ROLES, startService, type Service, type ServiceOptions, type ServiceRole } from '../server/service.ts';
import { createServiceLogger } from '../server/service-logger.ts';
import { createSecretRedactor } from '../util/secret-redactor.ts';
import { defineCommand, parseCommand, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';

/** The credentials file the registration writes, in the working folder. */
export const ENV_FILE = '.env';
/** After a clean shutdown, a handle left open (a socket, a timer) may not keep the process up longer than this. */
export const EXIT_FALLBACK_MS = 5_000;

/** `swe-bot serve`'s options and usage. */
export const SERVE_COMMAND = defineCommand({
  name: 'serve',
  summary:
    'Runs the GitHub App: the webhook receiver, the job workers and the dashboard; without App credentials (the first ' +
    "start) it serves the registration page, then starts again with the credentials it wrote to .env.",
  options: {
    role: {
      type: 'string',
      value: 'web|worker|all',
      default: 'all',
      description:
        'web: the HTTP server and webhooks, which enqueue jobs (no Docker needed); worker: the job workers, for more ' +
        'machines sharing the Redis at REDIS_URL; all: both in one process',
    },
  },
});

const SIGNAL_EXIT_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, SERVE_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { role } = parsed.values;
  if (!isServiceRole(role)) return usageError(SERVE_COMMAND.usage, io, `--role must be web, worker or all, not ${role}`);
  const envFile = path.resolve(ENV_FILE);
  // What the registration wrote; variables set in the environment win over it.
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  let config = io.config();
  // One redactor for the process: the service adds the secrets it knows (and every token minted); every log line goes through it.
  const redactor = createSecretRedactor();
  const logger = createServiceLogger({ level: config.logLevel, redact: (line) => redactor.redact(line) });

  let service: Service | undefined;
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) {
      logger.warn({ signal }, 'second signal: exiting now');
      // The embedded redis-server runs in its own process group: stop it too (it saves its AOF on SIGTERM).
      const redisPid = service?.redis?.embedded?.pid;
      if (redisPid) process.kill(redisPid, 'SIGTERM');
      process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
    }
    stopRequested = true;
    logger.info({ signal }, 'signal received: shutting down (send it again to exit at once)');
    void service?.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    for (;;) {
      service = await startService({ config, role, logger, redactor, envFile, ...(role === 'web' ? {} : { processors: await jobProcessors(config) }) });
      if (stopRequested) void service.stop();
      const exit = await service.done;
      if (exit !== 'registered' || stopRequested) break;
      // The App was just registered: start again with its credentials.
      process.loadEnvFile(envFile);
      config = loadConfig();
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  exitSoon(logger);
  return 0;
}

/** The App's job runners (src/worker), loaded only by roles that run workers. Exported for the end-to-end tests (the `*.app.test.ts` files). */
export async function jobProcessors(config: Config): Promise<NonNullable<ServiceOptions['processors']>> {
  const [{ createJobProcessors }, { createModel }, { pruneTrajectories }] = await Promise.all([
    import('../worker/job-processors.ts'),
    import('../agent/model.ts'),
    import('../worker/trajectory-retention.ts'),
  ]);
  // SWE_BOT_KEEP_TRAJECTORIES_DAYS=0 (the default): fix jobs keep nothing.
  const trajectories = config.keepTrajectoriesDays > 0 ? { dir: config.trajectoryDir, keepDays: config.keepTrajectoriesDays } : undefined;
  return ({ sandbox, github, metrics, logger, redactor, commentLock }) => {
    // Called as the workers start: what expired while no worker ran goes now (fix jobs prune after themselves too).
    if (trajectories !== undefined) {
      void pruneTrajectories(trajectories).then(
        ({ removed }) => logger.info({ removed: removed.length, dir: trajectories.dir, keepDays: trajectories.keepDays }, 'kept trajectories pruned'),
        (error: unknown) => logger.warn({ err: describeError(error) }, 'cannot prune the kept trajectories'),
      );
    }
    return createJobProcessors({
      github,
      sandbox,
      model: createModel(config.model, logger),
      workDir: path.join(config.dataDir, 'work'),
      evaluationsDir: path.join(config.dataDir, 'evaluations'),
      metrics,
      redactor,
      commentLock,
      ...(trajectories === undefined ? {} : { trajectories }),
    });
  };
}

function isServiceRole(role: string): role is ServiceRole {
  return (SERVICE_ROLES as readonly string[]).includes(role);
}

/** The service is stopped; should a forgotten handle keep the event loop alive, exit anyway. */
function exitSoon(logger: Logger): void {
  setTimeout(() => {
    logger.warn({ ms: EXIT_FALLBACK_MS }, 'something kept the process alive after shutdown: exiting');
    process.exit(process.exitCode ?? 0);
  }, EXIT_FALLBACK_MS).unref();
}
