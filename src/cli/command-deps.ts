/**
 * The set-up every command that runs containers shares: a logger named
 * after the command (quiet by default: the commands print their own
 * progress), the sandbox on the configured Docker engine, checked to answer
 * before anything else happens, and, for the pipelines, the model. The same
 * {@link PipelineDeps} the App's workers hand to the pipelines, with the
 * process's secret redactor (src/util/secret-redactor.ts), told the
 * configuration's secrets, cleaning the log lines and the trajectories.
 */
import { createModel } from '../agent/model.ts';
import type { Config } from '../config/load-config.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { configSecrets } from '../config/config-secrets.ts';
import { createSecretRedactor } from '../util/secret-redactor.ts';

export interface CommandDepsOptions {
  /** The logger's name: `swe-bot-<command>`. */
  command: string;
  /** Default `warn`. */
  level?: Config['logLevel'];
  /**
   * Where the log lines go: the command's stderr. Its stdout is its result
   * (a summary, `--json`), which a log line in between would break for
   * whatever reads it.
   */
  destination: { write(line: string): unknown };
}

/** The logger and the sandbox (the engine pinged): for the commands that run no model. */
export async function sandboxDeps(config: Config, options: CommandDepsOptions): Promise<Omit<PipelineDeps, 'model'>> {
  const redactor = createSecretRedactor();
  for (const secret of configSecrets(config)) redactor.add(secret);
  const logger = createLogger({ level: options.level ?? 'warn', name: `swe-bot-${options.command}`, redact: (line) => redactor.redact(line), destination: options.destination });
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  return { sandbox, logger, redactor };
}

/** {@link sandboxDeps} and the configured model: what the fix and review pipelines need. */
export async function pipelineDeps(config: Config, options: CommandDepsOptions): Promise<PipelineDeps> {
  const deps = await sandboxDeps(config, options);
  return { ...deps, model: createModel(config.model, deps.logger) };
}
