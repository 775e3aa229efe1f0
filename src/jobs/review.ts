/**
 * The review pipeline, top to bottom (design.md §5):
 * the pull request's diff → environment → tests at the head (and at the
 * base when something fails, to tell new failures from old) → the reviewer
 * model with read-only tools → every comment checked against the diff,
 * ranked and capped → review.json.
 * Written so the App can call it; `swe-bot review` calls it on a local repository.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runAgent, type AgentExit } from '../agent/agent-loop.ts';
import type { EnvironmentConfig } from '../config/repo-config.ts';
import { describeError } from '../errors.ts';
import type { TestResults } from '../harness/test-status.ts';
import { anchorProblem, parseDiff, type DiffFile } from '../review/diff-map.ts';
import { finalizeReview, type FileNotReviewed, type ReviewComment } from '../review/finalize-review.ts';
import { buildReviewSystemPrompt, buildReviewTask, selectFiles } from '../review/review-prompt.ts';
import type { SubmittedReview } from '../review/review-schema.ts';
import { createReviewToolbox } from '../review/review-tools.ts';
import { compareTests, describeTests, needsBaseRun, type TestComparison } from '../review/test-comparison.ts';
import type { EgressRefusal, Instance, SourceRef } from '../sandbox/sandbox.ts';
import { git } from '../util/git.ts';
import { rememberedTests, withRememberedRecipe, type JudgedTests } from './baseline.ts';
import { redactorOf, redactText, type PipelineDeps } from './pipeline-deps.ts';
import { ignoreProgress, type ProgressListener } from './progress.ts';

/** Agent steps a review may take to look around. */
export const REVIEW_MAX_ITERATIONS = 30;
/** Wall time of the reviewer model, ms. */
export const REVIEW_WALL_TIME_MS = 15 * 60_000;

export interface ReviewInput {
  /** The git repository holding both commits. */
  repoDir: string;
  /** owner/name, for the prompt. */
  name?: string;
  /** The base commit (the target branch's tip); the diff starts at its merge base with `head`. */
  base: string;
  head: string;
  title?: string;
  description?: string;
  /** From the base's configuration: a pull request must not choose its own environment set-up. */
  environment: EnvironmentConfig;
  /**
   * The head reviewed last time (incremental reviews on a new push): only
   * findings on lines changed since then are posted. Ignored unless it is an
   * ancestor of `head`.
   */
  since?: string;
  /** Inline comments at most (config `review.max_comments`). */
  maxComments: number;
  /** Default {@link REVIEW_MAX_ITERATIONS}. */
  maxIterations?: number;
  /** Where review.json and trajectory.jsonl go. */
  outDir?: string;
  job?: string;
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface ReviewResult {
  base: string;
  head: string;
  /** Where the diff starts. */
  mergeBase: string;
  /** The model submitted a review; false when a budget or an error ended it first. */
  complete: boolean;
  summary: string;
  comments: ReviewComment[];
  filesNotReviewed: FileNotReviewed[];
  /** Findings the model placed off the diff (kept in the summary). */
  foldedComments: number;
  /** Incremental reviews: findings on lines not changed since the last reviewed head, left out. */
  skippedAsReviewed: number;
  /** The last reviewed head the review was limited to, when it was. */
  since?: string;
  tests: TestComparison;
  /** What the egress proxy refused while the head's environment was built for this review (none when cached). */
  egressRefused: EgressRefusal[];
  model: { exit: AgentExit; reason: string; iterations: number; tokens: { prompt: number; completion: number } };
  timeMs: number;
}

export async function runReview(deps: PipelineDeps, input: ReviewInput): Promise<ReviewResult> {
  const started = Date.now();
  const progress = input.onProgress ?? ignoreProgress;
  const { sandbox, logger } = deps;
  const job = input.job === undefined ? {} : { job: input.job };

  // The diff GitHub shows for a pull request is the three-dot one: merge base → head.
  const mergeBase = (await git(['merge-base', input.base, input.head], { cwd: input.repoDir })).trim();
  const diffText = await git(['diff', '--no-color', '--no-ext-diff', '-M', '--src-prefix=a/', '--dst-prefix=b/', mergeBase, input.head], {
    cwd: input.repoDir,
  });
  const files = parseDiff(diffText);
  const selection = selectFiles(files);
  const since = input.since !== undefined && input.since !== input.head && (await isAncestor(input.repoDir, input.since, input.head)) ? input.since : undefined;
  const changedSince = since === undefined ? undefined : parseDiff(await git(['diff', '--no-color', '--no-ext-diff', '-M', since, input.head], { cwd: input.repoDir }));

  progress({ stage: 'environment', message: 'preparing the environment' });
  const headSource: SourceRef = { repoDir: input.repoDir, commit: input.head, ...(input.name === undefined ? {} : { name: input.name }) };
  // The commands the setup agent found for the repository, when a fix needed it: the review runs the tests the same way.
  // The head's install scripts are the pull request's code: its build gets no build secrets.
  const headSpec = await withRememberedRecipe(sandbox, await sandbox.detect(headSource, input.environment));
  const env = await sandbox.ensureEnvironment(headSource, headSpec, { ...job, untrusted: true });
  const instance = await sandbox.createInstance(env, headSource, job);
  try {
    // A review asked again of the same head reads the run made the first time.
    const headRun = await rememberedTests(deps, env, input.head, () => {
      progress({ stage: 'tests', message: 'running the tests at the head' });
      return Promise.resolve(instance);
    });
    if (headRun.remembered) progress({ stage: 'tests', message: 'the tests at the head ran before in this environment: their results are reused' });
    const head = verdict(headRun);
    let base: TestResults | undefined;
    if (needsBaseRun(head.results, head.problem === undefined)) {
      const atBase = await testsAtBase(deps, input, mergeBase, progress).catch((error: unknown) => {
        logger.warn({ err: describeError(error) }, 'cannot run the tests at the base');
        return undefined;
      });
      // A base run that does not count compares with nothing: its missing tests would read as failures brought in.
      if (atBase?.problem !== undefined) logger.warn({ problem: atBase.problem }, 'the test run at the base does not count');
      else base = atBase?.results;
    }
    const tests = compareTests(head.results, base, head.problem);

    progress({ stage: 'review', message: 'reviewing the diff' });
    const agent = await runAgent(
      { model: deps.model, toolbox: createReviewToolbox(), target: instance, logger: logger.child({ stage: 'review' }), ...redactorOf(deps) },
      {
        task: '',
        prompts: {
          system: buildReviewSystemPrompt(),
          task: buildReviewTask({
            ...(input.name === undefined ? {} : { repo: input.name }),
            ...(input.title === undefined ? {} : { title: input.title }),
            ...(input.description === undefined ? {} : { description: input.description }),
            selection,
            tests: describeTests(tests),
            ...(since === undefined ? {} : { since, changedSince: (changedSince ?? []).map((file) => file.path) }),
          }),
        },
        maxIterations: input.maxIterations ?? REVIEW_MAX_ITERATIONS,
        wallTimeMs: REVIEW_WALL_TIME_MS,
        temperature: 0,
        ...(input.outDir === undefined ? {} : { trajectoryFile: path.join(input.outDir, 'trajectory.jsonl') }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        onStep: (step, tool) => progress({ stage: 'review', message: `reviewing: ${tool}`, step }),
      },
    );
    const submitted = agent.finish?.data as SubmittedReview | undefined;
    const { review: focused, skipped: skippedAsReviewed } = focusOn(submitted, changedSince);
    const final = finalizeReview(focused ?? unfinished(agent.reason, selection.shown.map((file) => file.path)), {
      files,
      maxComments: input.maxComments,
      skipped: selection.skipped,
    });
    const result: ReviewResult = {
      base: input.base,
      head: input.head,
      mergeBase,
      complete: submitted !== undefined,
      summary: final.summary,
      comments: final.comments,
      filesNotReviewed: final.filesNotReviewed,
      foldedComments: final.folded.length,
      skippedAsReviewed,
      ...(since === undefined ? {} : { since }),
      tests,
      egressRefused: env.egressRefused,
      model: {
        exit: agent.exit,
        reason: agent.reason,
        iterations: agent.iterations,
        tokens: { prompt: agent.usage.promptTokens, completion: agent.usage.completionTokens },
      },
      timeMs: Date.now() - started,
    };
    if (input.outDir !== undefined) {
      await fs.mkdir(input.outDir, { recursive: true });
      await fs.writeFile(path.join(input.outDir, 'review.json'), redactText(deps, `${JSON.stringify(result, null, 2)}\n`));
    }
    progress({ stage: 'done', message: `${result.comments.length} comment(s)${result.complete ? '' : ' (review incomplete)'}` });
    return result;
  } finally {
    await instance.remove();
    await sandbox.release(env).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'cannot apply the cache level'));
  }
}

/**
 * Incremental reviews: keeps the findings on lines changed since the last
 * reviewed head (head-side lines inside that diff's hunks; base-side findings
 * only in files changed since), so a new push does not repeat earlier comments.
 */
function focusOn(review: SubmittedReview | undefined, changedSince: DiffFile[] | undefined): { review: SubmittedReview | undefined; skipped: number } {
  if (review === undefined || changedSince === undefined) return { review, skipped: 0 };
  const kept = review.comments.filter((comment) =>
    comment.side === 'RIGHT'
      ? anchorProblem(changedSince, { path: comment.path, line: comment.line, side: 'RIGHT' }) === undefined
      : changedSince.some((file) => file.path === comment.path),
  );
  return { review: { ...review, comments: kept }, skipped: review.comments.length - kept.length };
}

async function isAncestor(repoDir: string, ancestor: string, head: string): Promise<boolean> {
  return git(['merge-base', '--is-ancestor', ancestor, head], { cwd: repoDir }).then(
    () => true,
    () => false,
  );
}

/** What is posted when the model never submitted: the tests still count; every shown file is unreviewed. */
function unfinished(reason: string, shown: string[]): SubmittedReview {
  return {
    summary: `The automated review did not finish: ${reason}. The test results below still apply.`,
    comments: [],
    files_not_reviewed: shown.map((file) => ({ path: file, reason: 'the review did not finish' })),
  };
}

async function testsAtBase(deps: PipelineDeps, input: ReviewInput, mergeBase: string, progress: ProgressListener): Promise<{ results: TestResults; problem?: string }> {
  const source: SourceRef = { repoDir: input.repoDir, commit: mergeBase, ...(input.name === undefined ? {} : { name: input.name }) };
  const job = input.job === undefined ? {} : { job: input.job };
  // The base may need other dependencies than the head: its own environment (usually the same cached image).
  const spec = await withRememberedRecipe(deps.sandbox, await deps.sandbox.detect(source, input.environment));
  const env = await deps.sandbox.ensureEnvironment(source, spec, job);
  // Pull requests share their base: a run there by an earlier review (or a fix's baseline) is read, not repeated.
  let box: Instance | undefined;
  try {
    const run = await rememberedTests(deps, env, mergeBase, async () => {
      progress({ stage: 'tests', message: 'running the tests at the base to compare' });
      return (box = await deps.sandbox.createInstance(env, source, job));
    });
    if (run.remembered) progress({ stage: 'tests', message: 'the tests at the base ran before in this environment: their results are reused' });
    return verdict(run);
  } finally {
    await box?.remove();
  }
}

function verdict(run: JudgedTests): { results: TestResults; problem?: string } {
  return run.validity.valid ? { results: run.results } : { results: run.results, problem: run.validity.message };
}
