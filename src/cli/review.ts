/**
 * `swe-bot review --repo DIR --base REF --head REF [--out DIR] [--config F]
 *   [--title T] [--description TEXT | --description-file F] [--max-comments N]`
 *
 * Runs the review pipeline on two commits of a local git repository, as the
 * App does for a pull request. The configuration comes from the base commit
 * (or --config): the change under review does not get to choose how it is
 * set up. Writes review.json and trajectory.jsonl to --out.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { formatFor } from '../agent/formats/index.ts';
import { createModelClient } from '../agent/model-client.ts';
import { runReview } from '../jobs/review.ts';
import { createLogger } from '../logger.ts';
import { createSandbox } from '../sandbox/sandbox.ts';
import { resolveCommit } from '../sandbox/source.ts';
import { parseCommandArgs, positiveIntegers, usageError } from './args.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import { pipelineDisplay } from './progress-display.ts';
import type { CliIo } from './main.ts';

const USAGE =
  'usage: swe-bot review --repo DIR --base REF --head REF [--out DIR] [--config F] [--title T]\n' +
  '                      [--description TEXT | --description-file F] [--max-comments N] [--max-iterations N]\n';

export async function runReviewCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      repo: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      out: { type: 'string', default: 'swe-bot-review' },
      config: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      'description-file': { type: 'string' },
      'max-comments': { type: 'string' },
      'max-iterations': { type: 'string' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.repo || !values.base || !values.head) return usageError(USAGE, io, '--repo, --base and --head are required');
  if (values.description !== undefined && values['description-file'] !== undefined) {
    return usageError(USAGE, io, 'give --description or --description-file, not both');
  }
  const numbers = positiveIntegers({ 'max-iterations': values['max-iterations'] }, USAGE, io);
  if (typeof numbers === 'number') return numbers;
  const maxComments = values['max-comments'] === undefined ? undefined : Number(values['max-comments']);
  if (maxComments !== undefined && (!Number.isInteger(maxComments) || maxComments < 0)) {
    return usageError(USAGE, io, `--max-comments must be a whole number ≥ 0, not ${JSON.stringify(values['max-comments'])}`);
  }

  const config = io.config();
  const repoDir = path.resolve(values.repo);
  const base = await resolveCommit(repoDir, values.base);
  const head = await resolveCommit(repoDir, values.head);
  const name = path.basename(repoDir);
  const repoConfig = await loadRepoConfig({ repoDir, commit: base, name }, values.config);
  const description = values.description ?? (values['description-file'] === undefined ? undefined : await fs.readFile(values['description-file'], 'utf8'));

  const logger = createLogger({ level: 'warn', name: 'swe-bot-review' });
  const sandbox = createSandbox({ settings: config.sandbox, logger, dockerHost: config.dockerHost });
  await sandbox.ping();
  const client = createModelClient({ baseUrl: config.model.baseUrl, apiKey: config.model.apiKey, model: config.model.name, logger });
  const outDir = path.resolve(values.out);
  io.stderr.write(`reviewing ${name} ${base.slice(0, 12)}..${head.slice(0, 12)}; output in ${outDir}\n`);
  const display = pipelineDisplay(io.stderr);
  const result = await runReview(
    { sandbox, client, format: formatFor(config.model.toolFormat), logger },
    {
      repoDir,
      name,
      base,
      head,
      ...(values.title === undefined ? {} : { title: values.title }),
      ...(description === undefined ? {} : { description }),
      environment: repoConfig.environment,
      maxComments: maxComments ?? repoConfig.review.max_comments,
      ...(numbers['max-iterations'] === undefined ? {} : { maxIterations: numbers['max-iterations'] }),
      outDir,
      job: 'cli-review',
      onProgress: display.listener,
    },
  ).finally(() => display.end());
  const files = new Set(result.comments.map((comment) => comment.path)).size;
  const { passed, failed } = result.tests.counts;
  const tests = result.tests.headValid ? `${passed} passed, ${failed} failed (${result.tests.newFailures.length} new)` : 'not usable';
  io.stdout.write(
    `${result.complete ? 'reviewed' : 'review incomplete'}: ${result.comments.length} comment(s) on ${files} file(s), ` +
      `${result.filesNotReviewed.length} file(s) not reviewed; tests ${tests}; ` +
      `${result.model.tokens.prompt + result.model.tokens.completion} tokens; ${Math.round(result.timeMs / 1000)} s\n`,
  );
  return 0;
}
