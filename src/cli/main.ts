#!/usr/bin/env node
/**
 * `swe-bot <command>` (design.md §7). Each command lives in its own file,
 * loaded only when it runs, and exports a `(argv, io) => exit code` function
 * (`runDoctor`, `runServe`, …). This file dispatches, reads the configuration
 * when a command asks for it, and prints what a command throws.
 */
import { loadConfig, type Config } from '../config/load-config.ts';
import { SweBotError, describeError } from '../errors.ts';
import type { CliIo } from './cli-io.ts';

type Command = (argv: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  doctor: {
    summary: 'check Node, Docker, base images, Redis, the model endpoint and the App credentials',
    load: async () => (await import('./doctor.ts')).runDoctor,
  },
  env: {
    summary: 'build (or reuse) the environment image of a local repository',
    load: async () => (await import('./env.ts')).runEnv,
  },
  reap: {
    summary: 'remove containers and images left behind by crashed swe-bot processes',
    load: async () => (await import('./reap.ts')).runReap,
  },
  setup: {
    summary: "work out and confirm how a local repository's tests run; print the .github/swe-bot.yml that pins it",
    load: async () => (await import('./setup.ts')).runSetupCommand,
  },
  smith: {
    summary: "synthesize bugs in a local repository that its tests catch; a SWE-bench dataset to measure a model on it",
    load: async () => (await import('./smith.ts')).runSmithCommand,
  },
  fix: {
    summary: 'draft a fix for an issue in a local repository, verified by its tests',
    load: async () => (await import('./fix.ts')).runFixCommand,
  },
  review: {
    summary: 'review the change between two commits of a local repository, with its tests run',
    load: async () => (await import('./review.ts')).runReviewCommand,
  },
  infer: {
    summary: 'run the fix pipeline on each instance of a dataset; predictions in SWE-bench format',
    load: async () => (await import('./infer.ts')).runInfer,
  },
  evaluate: {
    summary: 'SWE-bench-style evaluation of predictions on a dataset, in containers',
    load: async () => (await import('./evaluate.ts')).runEvaluate,
  },
  'export-trajectories': {
    summary: 'write the conversations of verified fixes (infer runs, the App\'s kept jobs) as JSONL for fine-tuning',
    load: async () => (await import('./export-trajectories.ts')).runExportTrajectories,
  },
  serve: {
    summary: 'run the service (npm start)',
    load: async () => (await import('./serve.ts')).runServe,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return (
    `usage: swe-bot <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'swe-bot <command> --help (or swe-bot help <command>) prints the options of a command.\n'
  );
}

/**
 * Runs `swe-bot <argv>` and returns the exit code: 0 done, 1 failed, 2 bad
 * arguments. The configuration is read from `env` (default: the process's)
 * only when a command asks for it, so `--help` works whatever the environment.
 */
export async function main(argv: string[], io: Omit<CliIo, 'config'> & { env?: NodeJS.ProcessEnv }): Promise<number> {
  // `swe-bot help fix` is `swe-bot fix --help`.
  if (argv[0] === 'help' && argv[1] !== undefined) return main([argv[1], '--help'], io);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`swe-bot: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  let config: Config | undefined;
  const cli: CliIo = {
    stdout: io.stdout,
    stderr: io.stderr,
    config: () => (config ??= io.env === undefined ? loadConfig() : loadConfig(io.env)),
  };
  try {
    return await (await command.load())(rest, cli);
  } catch (error) {
    io.stderr.write(`swe-bot ${name}: ${describeError(error)}\n`);
    if (error instanceof SweBotError && error.hint) io.stderr.write(`hint: ${error.hint}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}
