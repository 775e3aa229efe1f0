/**
 * `swe-bot doctor [--json] [--build]` (design.md §7): checks Node, the Docker
 * engine, the base images (with their pinned toolchains), HTTPS from the
 * sandbox to the npm registry, Redis, the model endpoint and the GitHub App
 * credentials, one line each with a fix hint. Exits 1 when a required check
 * fails.
 *
 * The checks run concurrently and bound their own time, so doctor answers
 * within about four seconds even when every service hangs (the registry
 * check, which starts a container, within about ten).
 */
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import type { Config } from '../config/load-config.ts';
import { ConfigError, describeError } from '../errors.ts';
import { dockerOptions } from '../sandbox/docker-client.ts';
import type { CliIo } from './cli-io.ts';
import { checkBaseImages, checkDocker } from './doctor/docker.ts';
import { checkGitHubApp } from './doctor/github.ts';
import { checkModel } from './doctor/model.ts';
import { checkRegistry } from './doctor/registry.ts';
import { createLogger, silentLogger, type Logger } from '../logger.ts';
import { checkNode } from './doctor/node.ts';
import { checkRedisServerBinary, checkRedisUrl } from './doctor/redis.ts';
import { CHECK_NAMES, result, type CheckResult, type CheckStatus } from './doctor/result.ts';

export type { CheckResult, CheckStatus } from './doctor/result.ts';

export interface DoctorReport {
  /** False when a required check failed. */
  ok: boolean;
  checks: CheckResult[];
}

export interface DoctorDeps {
  /** The validated configuration, or the error validating it raised. */
  config: Config | ConfigError;
  /** The engine client; by default one for `config.dockerHost`. */
  docker?: Docker;
  /** Stand-in for `process.version` (an old Node cannot run the tests). */
  nodeVersion?: string;
  /** The redis-server executable checked when REDIS_URL is unset. */
  redisServerBinary?: string;
  /** Where a relative PRIVATE_KEY_PATH is resolved. Default: the working directory. */
  cwd?: string;
  /** Time allowed to each network check. Default 3 s. */
  timeoutMs?: number;
  /** Build the common base layer when missing, so the registry check can run (`--build`). Default false. */
  build?: boolean;
  /** Where `--build` reports its progress. Default: silent. */
  logger?: Logger;
}

export const DOCTOR_TIMEOUT_MS = 3_000;

export function createDoctor(deps: DoctorDeps): { run(): Promise<DoctorReport> } {
  const timeoutMs = deps.timeoutMs ?? DOCTOR_TIMEOUT_MS;
  return {
    async run() {
      const node = checkNode(deps.nodeVersion ?? process.version, process.execPath);
      const config = deps.config;
      if (config instanceof Error) {
        const skipped = (name: string, required: boolean) =>
          result(name, 'skip', required, 'skipped: needs a valid configuration (see config)');
        return report([
          result(CHECK_NAMES.config, 'fail', true, describeError(config), config.hint ?? 'fix the variables named above'),
          node,
          skipped(CHECK_NAMES.docker, true),
          skipped(CHECK_NAMES.baseImages, false),
          skipped(CHECK_NAMES.registry, false),
          skipped(CHECK_NAMES.redis, true),
          skipped(CHECK_NAMES.model, false),
          skipped(CHECK_NAMES.github, false),
        ]);
      }
      const docker = deps.docker ?? dockerClient(config.dockerHost, timeoutMs);
      const [[dockerCheck, baseImages, registry], redis, model, github] = await Promise.all([
        (async () => {
          let reachable = false;
          const dockerResult = await guarded(CHECK_NAMES.docker, true, async () => {
            const findings = await checkDocker(docker, config.dockerHost, timeoutMs);
            reachable = findings.reachable;
            return findings.check;
          });
          const engine = reachable && !(docker instanceof Error) ? docker : undefined;
          const [images, registryResult] = await Promise.all([
            guarded(CHECK_NAMES.baseImages, false, () => checkBaseImages(engine, config.sandbox, timeoutMs)),
            guarded(CHECK_NAMES.registry, false, () =>
              checkRegistry(engine, config.sandbox, {
                timeoutMs,
                build: deps.build ?? false,
                logger: deps.logger ?? silentLogger(),
              }),
            ),
          ]);
          return [dockerResult, images, registryResult] as const;
        })(),
        guarded(CHECK_NAMES.redis, true, () =>
          config.redisUrl !== undefined
            ? checkRedisUrl(config.redisUrl, timeoutMs)
            : checkRedisServerBinary(deps.redisServerBinary ?? 'redis-server', config.dataDir, timeoutMs),
        ),
        guarded(CHECK_NAMES.model, false, () => checkModel(config.model, timeoutMs)),
        guarded(CHECK_NAMES.github, false, () =>
          checkGitHubApp(config.github, config.server.port, deps.cwd ?? process.cwd()),
        ),
      ]);
      return report([
        result(CHECK_NAMES.config, 'ok', true, `environment valid (data under ${config.dataDir})`),
        node,
        dockerCheck,
        baseImages,
        registry,
        redis,
        model,
        github,
      ]);
    },
  };
}

/** A client whose requests give up on their own, so a hung engine cannot keep the process alive. */
function dockerClient(dockerHost: string | undefined, timeoutMs: number): Docker | Error {
  try {
    return new Docker({ ...dockerOptions(dockerHost), timeout: timeoutMs + 500 });
  } catch (error) {
    return new Error(`DOCKER_HOST=${dockerHost} is not usable: ${describeError(error)}`, { cause: error });
  }
}

/** The checks catch what they expect; anything else still becomes a result, not a crash. */
async function guarded(name: string, required: boolean, check: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await check();
  } catch (error) {
    return result(name, required ? 'fail' : 'warn', required, `the check itself failed: ${describeError(error)}`);
  }
}

function report(checks: CheckResult[]): DoctorReport {
  return { ok: !checks.some((check) => check.required && check.status === 'fail'), checks };
}

const SYMBOLS: Record<CheckStatus, string> = { ok: '✔', warn: '!', fail: '✖', skip: '-' };

/** One aligned line per check, then a summary line. */
export function formatReport(doctorReport: DoctorReport): string {
  const width = Math.max(...doctorReport.checks.map((check) => check.name.length));
  const lines = doctorReport.checks.map((check) => {
    const hint = check.hint === undefined ? '' : ` — fix: ${check.hint}`;
    return `${SYMBOLS[check.status]} ${check.name.padEnd(width)}  ${check.detail}${hint}`;
  });
  const failed = doctorReport.checks.filter((check) => check.required && check.status === 'fail');
  const warned = doctorReport.checks.filter((check) => check.status === 'warn');
  const skipped = doctorReport.checks.filter((check) => check.status === 'skip');
  let summary: string;
  if (failed.length > 0) {
    summary = `not ready: required check${failed.length === 1 ? '' : 's'} failed: ${names(failed)}`;
  } else if (warned.length > 0) {
    summary = `ready, with warning${warned.length === 1 ? '' : 's'}: ${names(warned)}`;
  } else {
    summary = 'ready: all checks passed';
  }
  if (skipped.length > 0) summary += ` (skipped: ${names(skipped)})`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}

function names(checks: CheckResult[]): string {
  return checks.map((check) => check.name).join(', ');
}

const USAGE = `usage: swe-bot doctor [--json] [--build]

Checks Node, the Docker engine, the base images and their pinned toolchains,
HTTPS from the sandbox to the npm registry, Redis, the model endpoint and the
GitHub App credentials. Exits 1 when a required check fails.

  --json       print one JSON document: { "ok", "checks": [{ "name", "status", "required", "detail", "hint"? }] } (default: one line per check)
  --build      build the common base layer first when it is missing, so the registry check can run (default: off; a minute or two)
  -h, --help   print this help
`;

export async function runDoctor(argv: string[], io: CliIo): Promise<number> {
  let json: boolean;
  let build: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        build: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    json = values.json;
    build = values.build;
  } catch (error) {
    io.stderr.write(`swe-bot doctor: ${describeError(error)}\n\n${USAGE}`);
    return 2;
  }

  let config: Config | ConfigError;
  try {
    config = io.config();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    config = error;
  }
  // --build can take minutes: say what is going on, on stderr.
  const logger = build && !(config instanceof Error) ? createLogger({ level: config.logLevel, name: 'swe-bot-doctor', destination: io.stderr }) : undefined;
  const doctorReport = await createDoctor({ config, build, ...(logger === undefined ? {} : { logger }) }).run();
  io.stdout.write(json ? `${JSON.stringify(doctorReport, null, 2)}\n` : formatReport(doctorReport));
  return doctorReport.ok ? 0 : 1;
}
