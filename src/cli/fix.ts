/**
 * `swe-bot fix --repo DIR (--issue TEXT | --issue-file F) [--out DIR]
 *   [--candidates N] [--config F] [--max-iterations N]`
 *
 * Runs the fix pipeline on a local git repository at its HEAD. The working
 * copy is not touched: the sandbox reads git objects. Writes patch.diff,
 * result.json and one trajectory-N.jsonl per candidate to --out.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatFor } from '../agent/formats/index.ts';
import { createModelClient } from '../agent/model-client.ts';
import { runFix } from '../jobs/fix.ts';
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { resolveCommit, type SourceRef } from '../sandbox/source.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import type { CliIo } from './main.ts';

const USAGE =
  'usage: swe-bot fix --repo DIR (--issue TEXT | --issue-file F) [--out DIR] [--candidates N] [--config F] [--max-iterations N]\n';

export async function runFixCommand(argv: string[], io: CliIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        issue: { type: 'string' },
        'issue-file': { type: 'string' },
        out: { type: 'string', default: 'swe-bot-fix' },
        candidates: { type: 'string' },
        config: { type: 'string' },
        'max-iterations': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.repo || (values.issue === undefined) === (values['issue-file'] === undefined)) {
    io.stderr.write(USAGE);
    return 2;
  }
  const config = io.config();
  const issue = values.issue ?? (await fs.readFile(values['issue-file'] as string, 'utf8'));
  const repoDir = path.resolve(values.repo);
  const source: SourceRef = { repoDir, commit: await resolveCommit(repoDir, 'HEAD'), name: path.basename(repoDir) };
  const repoConfig = await loadRepoConfig(source, values.config);
  const candidates = values.candidates === undefined ? repoConfig.fix.candidates : Number(values.candidates);
  const maxIterations = values['max-iterations'] === undefined ? repoConfig.fix.max_iterations : Number(values['max-iterations']);
  if (!Number.isInteger(candidates) || candidates < 1 || !Number.isInteger(maxIterations) || maxIterations < 1) {
    io.stderr.write(`--candidates and --max-iterations take whole numbers ≥ 1\n${USAGE}`);
    return 2;
  }
  const logger = createLogger({ level: 'warn', name: 'swe-bot-fix' });
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const client = createModelClient({ baseUrl: config.model.baseUrl, apiKey: config.model.apiKey, model: config.model.name, logger });
  const outDir = path.resolve(values.out);
  io.stderr.write(`fixing ${source.name} at ${source.commit.slice(0, 12)} with ${candidates} candidate(s); output in ${outDir}\n`);
  const result = await runFix(
    { sandbox, client, format: formatFor(config.model.toolFormat), logger },
    { source, issue, environment: repoConfig.environment, candidates, maxIterations, outDir, job: 'cli-fix' },
  );
  for (const candidate of result.candidates) {
    io.stderr.write(`candidate ${candidate.index}: ${candidate.verdict} (${candidate.agent.exit}, ${candidate.agent.iterations} steps)\n`);
  }
  io.stdout.write(`${result.verdict}${result.chosen === undefined ? '' : ` (candidate ${result.chosen})`}; ${result.tests.failToPass.length} reproduction test(s) now pass; ${result.tokens.prompt + result.tokens.completion} tokens; ${Math.round(result.timeMs / 1000)} s\n`);
  return 0;
}
