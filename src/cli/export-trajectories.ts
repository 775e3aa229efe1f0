/**
 * `swe-bot export-trajectories --output F.jsonl [--runs DIR ...] [--report F.json] [--all] [--json]`
 *
 * Writes the conversations of verified fixes, from `infer` runs and from the
 * App's kept fix jobs, as JSONL chat conversations for fine-tuning (the
 * format and which runs count: src/dataset/export-trajectories.ts). Each run
 * skipped is listed on stderr with the reason; the last line on stdout is
 * `N conversations written (V not verified, S skipped)`, or the summary as
 * JSON with `--json`.
 *
 * Exit code, as `evaluate`: 0 when the export completed, even with nothing
 * to write (no verified fix yet is a state, not a failure; the file is then
 * empty); 1 when an input cannot be read: a `--runs` folder that does not
 * exist (the App's default one before SWE_BOT_KEEP_TRAJECTORIES_DAYS was
 * set), a report that is not one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { configSecrets } from '../config/config-secrets.ts';
import { loadConfig, type Config } from '../config/load-config.ts';
import { exportSummaryLine, exportTrajectories } from '../dataset/export-trajectories.ts';
import { describeError } from '../errors.ts';
import { readAppCredentials } from '../server/app-credentials.ts';
import { createSecretRedactor, type SecretRedactor } from '../util/secret-redactor.ts';
import { defineCommand, parseCommand, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';

/** What `swe-bot serve` reads its registration's credentials from, in the working folder. */
const ENV_FILE = '.env';

/** `swe-bot export-trajectories`' options and usage. */
export const EXPORT_TRAJECTORIES_COMMAND = defineCommand({
  name: 'export-trajectories',
  summary:
    'Writes the conversations of verified fixes (infer runs, the App\'s kept fix jobs) as JSONL in OpenAI chat format, one ' +
    'conversation per line with its tool calls, instance id, verdict and token counts, for supervised fine-tuning.',
  options: {
    runs: {
      type: 'string',
      value: 'DIR',
      multiple: true,
      description: "an infer --out folder, the App's trajectories folder, or one run's folder; repeat it or separate with commas",
      defaultText: 'SWE_BOT_DATA_DIR/trajectories, where the App keeps fix jobs when SWE_BOT_KEEP_TRAJECTORIES_DAYS > 0',
    },
    report: {
      type: 'string',
      value: 'F.json',
      description: "an evaluate --report file: infer runs count when it resolved them (verdict 'resolved'), not by their own verdict",
    },
    output: { type: 'string', value: 'F.jsonl', description: 'the conversations, one per line (replaced)', required: true },
    all: { type: 'boolean', description: 'export the runs that are not verified too, with their verdict (for analysis)' },
    json: { type: 'boolean', description: 'print the summary as JSON' },
  },
});

export async function runExportTrajectories(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, EXPORT_TRAJECTORIES_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.output) return usageError(EXPORT_TRAJECTORIES_COMMAND.usage, io);
  const given = (values.runs ?? []).flatMap((value) => value.split(',')).filter(Boolean);

  const config = io.config();
  const runs = given.length > 0 ? given.map((dir) => path.resolve(dir)) : [config.trajectoryDir];
  const report = values.report === undefined ? undefined : { file: values.report, text: await fs.readFile(values.report, 'utf8') };
  const output = path.resolve(values.output);
  const redactor = await exportRedactor(config, io);

  const summary = await exportTrajectories({ runs, output, redactor, ...(report === undefined ? {} : { report }), ...(values.all ? { all: true } : {}) });
  for (const { run, reason } of summary.skipped) io.stderr.write(`skipped ${run}: ${reason}\n`);
  io.stderr.write(`conversations: ${output}\n`);
  io.stdout.write(values.json ? `${JSON.stringify({ output, ...summary }, null, 2)}\n` : `${exportSummaryLine(summary)}\n`);
  return 0;
}

/**
 * The process's redactor, as the App's would be: the configuration's secrets
 * and the App's private key, and those of `.env` in the working folder, which
 * `swe-bot serve` reads but this command's configuration does not. A run
 * kept before a secret was configured is cleaned of it here.
 */
async function exportRedactor(config: Config, io: CliIo): Promise<SecretRedactor> {
  const redactor = createSecretRedactor();
  const configs = [config];
  const envText = await fs.readFile(ENV_FILE, 'utf8').catch(() => undefined);
  if (envText !== undefined) {
    try {
      configs.push(loadConfig(parseEnv(envText)));
    } catch (error) {
      io.stderr.write(`warning: ${ENV_FILE}: ${describeError(error)}; its secrets are not redacted\n`);
    }
  }
  for (const each of configs) {
    for (const secret of configSecrets(each)) redactor.add(secret);
    try {
      // The key as the service uses it: read from PRIVATE_KEY_PATH, or normalized.
      redactor.add(readAppCredentials(each.github)?.privateKey);
    } catch (error) {
      io.stderr.write(`warning: ${describeError(error)}; that key is not redacted\n`);
    }
  }
  return redactor;
}
