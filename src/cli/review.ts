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
import { defaultRepoConfig } from '../config/repo-config.ts';
import { REVIEW_MAX_ITERATIONS, runReview } from '../jobs/review.ts';
import { pipelineDeps } from './command-deps.ts';
import { resolveCommit } from '../sandbox/source.ts';
import { defineCommand, parseCommand, positiveIntegers, usageError } from './args.ts';
import { loadRepoConfig } from './load-repo-config.ts';
import { pipelineDisplay } from './progress-display.ts';
import type { CliIo } from './cli-io.ts';

/** `swe-bot review`'s options and usage. */
export const REVIEW_COMMAND = defineCommand({
  name: 'review',
  summary:
    'Reviews the change from the merge base of --base and --head to --head in a local git repository, as the App reviews ' +
    'a pull request, with the tests run in containers; writes review.json and trajectory.jsonl to --out.',
  options: {
    repo: { type: 'string', value: 'DIR', description: 'the local git repository', required: true },
    base: { type: 'string', value: 'REF', description: "the pull request's base commit", required: true },
    head: { type: 'string', value: 'REF', description: 'the commit under review', required: true },
    out: { type: 'string', value: 'DIR', default: 'swe-bot-review', description: 'where review.json and trajectory.jsonl are written' },
    config: {
      type: 'string',
      value: 'F',
      description: 'the repository configuration to use',
      defaultText: '.github/swe-bot.yml at --base, else the built-in defaults',
    },
    title: { type: 'string', value: 'T', description: "the pull request's title, shown to the reviewer" },
    description: {
      type: 'string',
      value: 'TEXT',
      description: "the pull request's description, shown to the reviewer",
      group: 'description',
    },
    'description-file': { type: 'string', value: 'F', description: 'a file holding the description', group: 'description' },
    'max-comments': {
      type: 'string',
      value: 'N',
      description: 'inline comments kept, the most severe first (0 or more); the others are listed in the summary',
      defaultText: `review.max_comments in --config or .github/swe-bot.yml, else ${defaultRepoConfig().review.max_comments}`,
    },
    'max-iterations': {
      type: 'string',
      value: 'N',
      description: 'steps allowed to the reviewer model',
      defaultText: String(REVIEW_MAX_ITERATIONS),
    },
  },
});

export async function runReviewCommand(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommand(argv, REVIEW_COMMAND, io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.repo || !values.base || !values.head) return usageError(REVIEW_COMMAND.usage, io, '--repo, --base and --head are required');
  if (values.description !== undefined && values['description-file'] !== undefined) {
    return usageError(REVIEW_COMMAND.usage, io, 'give --description or --description-file, not both');
  }
  const numbers = positiveIntegers({ 'max-iterations': values['max-iterations'] }, REVIEW_COMMAND.usage, io);
  if (typeof numbers === 'number') return numbers;
  const maxComments = values['max-comments'] === undefined ? undefined : Number(values['max-comments']);
  if (maxComments !== undefined && (!Number.isInteger(maxComments) || maxComments < 0)) {
    return usageError(REVIEW_COMMAND.usage, io, `--max-comments must be a whole number ≥ 0, not ${JSON.stringify(values['max-comments'])}`);
  }

  const config = io.config();
  const repoDir = path.resolve(values.repo);
  const base = await resolveCommit(repoDir, values.base);
  const head = await resolveCommit(repoDir, values.head);
  const name = path.basename(repoDir);
  const repoConfig = await loadRepoConfig({ repoDir, commit: base, name }, values.config);
  const description = values.description ?? (values['description-file'] === undefined ? undefined : await fs.readFile(values['description-file'], 'utf8'));

  const deps = await pipelineDeps(config, { command: 'review', destination: io.stderr });
  const outDir = path.resolve(values.out);
  io.stderr.write(`reviewing ${name} ${base.slice(0, 12)}..${head.slice(0, 12)}; output in ${outDir}\n`);
  const display = pipelineDisplay(io.stderr);
  const result = await runReview(
    deps,
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
