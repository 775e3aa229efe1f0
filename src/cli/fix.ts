/**
 * `swe-bot fix --repo DIR (--issue TEXT | --issue-file F) [--out DIR]
 *   [--candidates N] [--config F] [--max-iterations N]`
 *
 * Runs the fix pipeline on a local git repository at its HEAD. The working
 * copy is not touched: the sandbox reads git objects. Writes patch.diff,
 * result.json and one trajectory-N.jsonl per candidate to --out. Progress
 * goes to stderr: a status line per candidate on a terminal, plain lines
 * per stage elsewhere.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultRepoConfig } from '../config/repo-config.ts';
import { runFix } from '../jobs/fix.ts';
import { pipelineDeps } from './command-deps.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { defineCommand, parseCommand, positiveIntegers, usageError } from './args.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import type { CliIo } from './cli-io.ts';
import { pipelineDisplay } from './progress-display.ts';

const DEFAULTS = defaultRepoConfig().fix;

/** `swe-bot fix`'s options and usage. */
export const FIX_COMMAND = defineCommand({
  name: 'fix',
  summary:
    "Drafts a fix for an issue in a local git repository at its HEAD: agent candidates work in containers, each is graded " +
    "against the repository's tests at the base, and the best one's patch is written to --out; the working copy is not touched.",
  options: {
    repo: { type: 'string', value: 'DIR', description: 'the local git repository; its HEAD is the base', required: true },
    issue: { type: 'string', value: 'TEXT', description: 'the issue text', required: true, group: 'issue' },
    'issue-file': { type: 'string', value: 'F', description: 'a file holding the issue text', required: true, group: 'issue' },
    out: {
      type: 'string',
      value: 'DIR',
      default: 'swe-bot-fix',
      description: 'where patch.diff, result.json and one trajectory-N.jsonl per candidate are written',
    },
    candidates: {
      type: 'string',
      value: 'N',
      description: 'best-of-N candidates',
      defaultText: `fix.candidates in --config or .github/swe-bot.yml, else ${DEFAULTS.candidates}`,
    },
    config: {
      type: 'string',
      value: 'F',
      description: 'the repository configuration to use',
      defaultText: '.github/swe-bot.yml at HEAD, else the built-in defaults',
    },
    'max-iterations': {
      type: 'string',
      value: 'N',
      description: 'agent steps allowed to each candidate',
      defaultText: `fix.max_iterations in --config or .github/swe-bot.yml, else ${DEFAULTS.max_iterations}`,
    },
  },
});

export async function runFixCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, FIX_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.repo || (values.issue === undefined) === (values['issue-file'] === undefined)) return usageError(FIX_COMMAND.usage, io);
  const numbers = positiveIntegers({ candidates: values.candidates, 'max-iterations': values['max-iterations'] }, FIX_COMMAND.usage, io);
  if (typeof numbers === 'number') return numbers;
  const config = io.config();
  const issue = values.issue ?? (await fs.readFile(values['issue-file'] as string, 'utf8'));
  const repoDir = path.resolve(values.repo);
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, 'HEAD'), name: path.basename(repoDir) };
  const repoConfig = await loadRepoConfig(source, values.config);
  const candidates = numbers.candidates ?? repoConfig.fix.candidates;
  const maxIterations = numbers['max-iterations'] ?? repoConfig.fix.max_iterations;
  const deps = await pipelineDeps(config, { command: 'fix', destination: io.stderr });
  const outDir = path.resolve(values.out);
  io.stderr.write(`fixing ${source.name} at ${source.commit.slice(0, 12)} with ${candidates} candidate(s); output in ${outDir}\n`);
  const display = pipelineDisplay(io.stderr);
  let result;
  try {
    result = await runFix(
      deps,
      { source, issue, environment: repoConfig.environment, candidates, maxIterations, outDir, job: 'cli-fix', onProgress: display.listener },
    );
  } finally {
    display.end();
  }
  for (const candidate of result.candidates) {
    io.stderr.write(`candidate ${candidate.index}: ${candidate.verdict} (${candidate.agent.exit}, ${candidate.agent.iterations} steps)\n`);
  }
  io.stdout.write(`${result.verdict}${result.chosen === undefined ? '' : ` (candidate ${result.chosen})`}; ${result.tests.failToPass.length} reproduction test(s) now pass; ${result.tokens.prompt + result.tokens.completion} tokens; ${Math.round(result.timeMs / 1000)} s\n`);
  return 0;
}
