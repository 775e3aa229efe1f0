/**
 * `swe-bot env --repo DIR [--commit REF] [--config FILE] [--json]`: builds, or
 * finds in the cache, the environment image of a local repository, the same
 * way a job does. Useful to prepare a repository ahead of time and to see why
 * its setup fails.
 */
import path from 'node:path';
import { ImageBuildError } from '../errors.ts';
import { withRememberedRecipe } from '../jobs/baseline.ts';
import { sandboxDeps } from './command-deps.ts';
import { environmentToolchain } from '../sandbox/env-image.ts';
import type { RecipeOrigin } from '../sandbox/detect.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { defineCommand, parseCommand, usageError } from './args.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import type { CliIo } from './cli-io.ts';

/** `swe-bot env`'s options and usage. */
export const ENV_COMMAND = defineCommand({
  name: 'env',
  summary:
    'Builds, or finds in the cache, the environment image of a local git repository at a commit, exactly as a job would; ' +
    'when its setup fails, shows the end of the build log.',
  options: {
    repo: { type: 'string', value: 'DIR', description: 'the local git repository', required: true },
    commit: { type: 'string', value: 'REF', default: 'HEAD', description: 'the commit whose environment to build' },
    config: {
      type: 'string',
      value: 'FILE',
      description: 'the repository configuration to use',
      defaultText: '.github/swe-bot.yml at the commit, else the built-in defaults',
    },
    json: {
      type: 'boolean',
      default: false,
      description: 'print the result (image, key, cached, ms, logFile, spec) as one JSON document',
      defaultText: 'two lines of text',
    },
  },
});

export async function runEnv(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, ENV_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.repo) return usageError(ENV_COMMAND.usage, io);
  const config = io.config();
  const repoDir = path.resolve(values.repo);
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, values.commit), name: path.basename(repoDir) };
  const repoConfig = await loadRepoConfig(source, values.config);
  const { sandbox } = await sandboxDeps(config, { command: 'env', destination: io.stderr, level: values.json ? 'warn' : config.logLevel });
  const started = Date.now();
  // A recipe the setup agent found for this state of the repository is what a job would use.
  const spec = await withRememberedRecipe(sandbox, await sandbox.detect(source, repoConfig.environment));
  try {
    const env = await sandbox.ensureEnvironment(source, spec, { job: 'cli-env' });
    const result = { image: env.image, key: env.key, cached: env.cached, ms: Date.now() - started, logFile: env.logFile, spec };
    if (values.json) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.stdout.write(`${env.cached ? 'cached' : 'built'} ${env.image} in ${result.ms} ms\n`);
      const toolchain = environmentToolchain(spec);
      const from = (origin: RecipeOrigin): string => ({ configuration: 'configured', detection: 'detected', 'setup-agent': 'found by the setup agent' })[origin];
      io.stdout.write(
        `language ${spec.language}${toolchain === undefined ? '' : ` (${toolchain})`}; ` +
          `setup (${from(spec.origin.setup)}): ${spec.setup.join(' && ') || '(none)'}; test (${from(spec.origin.test)}): ${spec.test}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof ImageBuildError) {
      io.stderr.write(`${error.message}\n--- last lines of the build log${error.logFile ? ` (${error.logFile})` : ''} ---\n${error.logTail}\n`);
      if (error.hint) io.stderr.write(`hint: ${error.hint}\n`);
      return 1;
    }
    throw error;
  } finally {
    // The build container is removed beside the build: gone before the command returns.
    await sandbox.idle();
  }
}
