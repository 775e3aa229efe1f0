/**
 * `swe-bot setup --repo DIR [--commit REF] [--config F] [--json]`: what
 * `/swe-bot setup` does on GitHub, on a local repository. It works out the
 * commands the tests run with (configured, detected, or found by the setup
 * agent when detection gives no baseline that counts), confirms them by a
 * baseline run, and prints them with where they came from and the
 * `.github/swe-bot.yml` that would pin them. Nothing in the repository is changed.
 */
import path from 'node:path';
import { runSetup } from '../jobs/setup.ts';
import type { RecipeOrigin } from '../sandbox/detect.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { pinnedConfig } from '../worker/setup-report.ts';
import { defineCommand, parseCommand, usageError } from './args.ts';
import type { CliIo } from './cli-io.ts';
import { pipelineDeps } from './command-deps.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import { pipelineDisplay } from './progress-display.ts';

/** `swe-bot setup`'s options and usage. */
export const SETUP_COMMAND = defineCommand({
  name: 'setup',
  summary:
    "Works out how a local git repository's tests run, as a job would (the setup agent is asked when detection gives no run that counts), " +
    'confirms the commands by a run of the tests, and prints them with the .github/swe-bot.yml that would pin them; the repository is not changed.',
  options: {
    repo: { type: 'string', value: 'DIR', description: 'the local git repository', required: true },
    commit: { type: 'string', value: 'REF', default: 'HEAD', description: 'the commit to run the tests at' },
    config: {
      type: 'string',
      value: 'F',
      description: 'the repository configuration to use',
      defaultText: '.github/swe-bot.yml at the commit, else the built-in defaults',
    },
    json: {
      type: 'boolean',
      default: false,
      description: 'print the result (environment, tests, the configuration file) as one JSON document',
      defaultText: 'text',
    },
  },
});

const FROM: Record<RecipeOrigin, string> = { configuration: 'configured', detection: 'detected', 'setup-agent': 'found by the setup agent' };

export async function runSetupCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, SETUP_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.repo) return usageError(SETUP_COMMAND.usage, io);
  const config = io.config();
  const repoDir = path.resolve(values.repo);
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, values.commit), name: path.basename(repoDir) };
  const repoConfig = await loadRepoConfig(source, values.config);
  const deps = await pipelineDeps(config, { command: 'setup', destination: io.stderr, level: values.json ? 'warn' : config.logLevel });
  const display = pipelineDisplay(io.stderr);
  let result;
  try {
    result = await runSetup(deps, { source, environment: repoConfig.environment, job: 'cli-setup', onProgress: display.listener });
  } finally {
    display.end();
  }
  const file = pinnedConfig(result.currentConfig, result.environment);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ commit: source.commit, environment: result.environment, tests: result.tests, configFile: file }, null, 2)}\n`);
    return 0;
  }
  const { environment: env, tests } = result;
  io.stdout.write(
    [
      `confirmed at ${source.commit.slice(0, 12)}: ${tests.total} tests, ${tests.passing} passing${tests.flaky.length === 0 ? '' : `, ${tests.flaky.length} flaky`}`,
      `setup (${FROM[env.origin.setup]}): ${env.setup.join(' && ') || '(none)'}`,
      `test (${FROM[env.origin.test]}): ${env.test}   [log parser ${env.logParser}]`,
      '',
      '.github/swe-bot.yml that pins them:',
      file.trimEnd(),
      '',
    ].join('\n'),
  );
  return 0;
}
