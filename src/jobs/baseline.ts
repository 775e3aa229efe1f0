/**
 * The fix pipeline's starting point (design.md §3, "In the app"): the
 * environment built, an instance of the base commit, a clean snapshot of it
 * for the candidates, and a baseline test run that counts. When the detected
 * commands give none (the environment does not build, or the run does not
 * count), the setup agent (setup-agent.ts) proposes commands until one
 * recipe's baseline counts; configured commands are the maintainers' and are
 * never second-guessed.
 *
 * A baseline that counted is remembered per environment image and commit
 * (sandbox/run-cache.ts): the next job at that commit reads it, and its first
 * container is made only when a candidate needs one.
 */
import { z } from 'zod';
import { ImageBuildError, SweBotError } from '../errors.ts';
import { parseTestLog } from '../harness/parsers/index.ts';
import { runValidity, type InvalidRun, type RunValidity } from '../harness/run-validity.ts';
import { runTests } from '../harness/test-run.ts';
import { flakyTests } from '../harness/grading.ts';
import { countPassing, TEST_STATUSES, type TestResults } from '../harness/test-status.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import type { CreateInstanceOptions, Snapshot } from '../sandbox/instance.ts';
import type { Environment, Instance, SourceRef } from '../sandbox/sandbox.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type { ProgressListener } from './progress.ts';
import { findRecipe, SETUP_LOG_LINES, type RecipeCheck } from './setup-agent.ts';

/** A test run's results and whether the run counts. */
export interface JudgedTests {
  results: TestResults;
  validity: RunValidity;
  /** The end of the run's output, for people (and the setup agent). */
  logTail: string;
}

export async function judgedTests(box: Instance, env: Environment): Promise<JudgedTests> {
  return (await judgedTestsWithOutput(box, env)).judged;
}

/** {@link judgedTests} and the run's whole output (which is not remembered): `swe-bot smith` quotes it in its issue texts. */
export async function judgedTestsWithOutput(box: Instance, env: Environment): Promise<{ judged: JudgedTests; output: string }> {
  const run = await runTests(box, env.spec.test, { timeoutMs: env.spec.timeoutMs });
  const { results } = await parseTestLog(env.spec.logParser, run.output, env.spec.test);
  return {
    judged: {
      results,
      validity: runValidity({ log: run.log, exitCode: run.exitCode, timedOut: run.timedOut, results }),
      logTail: run.output.trimEnd().split('\n').slice(-SETUP_LOG_LINES).join('\n'),
    },
    output: run.output,
  };
}

/** An open baseline; {@link Baseline.close} removes what it made, the caller releases `env`. */
export interface Baseline {
  spec: EnvironmentSpec;
  env: Environment;
  run: JudgedTests;
  /** Read from an earlier job's run with this image at this commit: no container was made for it. */
  remembered: boolean;
  /** A fresh container of the base commit, as the baseline run found it (nothing run in it yet); the caller removes it. */
  start: (options?: CreateInstanceOptions) => Promise<Instance>;
  /**
   * Tests whose outcome changed between two runs at the base commit (the
   * second run is made on the first call, and remembered); undefined when the
   * second run does not count.
   */
  flaky: () => Promise<string[] | undefined>;
  /** Removes the base container and the snapshot. */
  close: () => Promise<void>;
}

export interface BaselineInput {
  source: SourceRef;
  spec: EnvironmentSpec;
  job?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** The baseline of `input.spec`, or of the setup agent's recipe when the detected one gives none. */
export async function openBaseline(deps: PipelineDeps, input: BaselineInput, progress: ProgressListener): Promise<Baseline> {
  const { spec } = input;
  const detected = spec.origin.setup === 'detection' && spec.origin.test === 'detection';
  // A recipe the setup agent found for this state of the repository before: tried first, so the agent is not asked again.
  const remembered = await withRememberedRecipe(deps.sandbox, spec);
  if (remembered !== spec) {
    const tried = await tryBaseline(deps, input, remembered, progress);
    if (tried.ok) return tried.baseline;
    deps.logger.info({ problem: tried.check.problem }, 'the remembered recipe no longer gives a baseline');
  }
  const first = await tryBaseline(deps, input, spec, progress);
  if (first.ok) return first.baseline;
  if (!detected) throw first.error;
  progress({ stage: 'environment', message: `the detected commands did not give a baseline (${first.check.problem}): asking the setup agent` });
  // The proposal that passes its check is the baseline the job goes on with: kept open, not built and run again.
  let confirmed: Baseline | undefined;
  const found = await findRecipe(deps, {
    source: input.source,
    detected: { spec, check: first.check },
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    onAttempt: (attempt, proposed) => progress({ stage: 'environment', message: `setup agent, attempt ${attempt}: \`${proposed.test}\`` }),
    check: async (proposed) => {
      const tried = await tryBaseline(deps, input, proposed, progress);
      if (!tried.ok) return tried.check;
      if (countPassing(tried.baseline.run.results) === 0) {
        await tried.baseline.close();
        return { ok: false, problem: 'the run counts but no test passed', logTail: tried.baseline.run.logTail };
      }
      confirmed = tried.baseline;
      return { ok: true };
    },
  });
  // findRecipe returns only after a check said ok, which set `confirmed`.
  if (confirmed === undefined) throw new Error('the setup agent returned a recipe no check confirmed');
  await deps.sandbox.recipes.put(spec, { setup: found.setup, test: found.test, logParser: found.logParser });
  return confirmed;
}

/** `spec` with the recipe the setup agent found for this state of the repository, when it found one (detected commands only). */
export async function withRememberedRecipe(sandbox: PipelineDeps['sandbox'], spec: EnvironmentSpec): Promise<EnvironmentSpec> {
  if (spec.origin.setup !== 'detection' || spec.origin.test !== 'detection') return spec;
  const recipe = await sandbox.recipes.get(spec);
  return recipe === undefined ? spec : { ...spec, ...recipe, origin: { setup: 'setup-agent', test: 'setup-agent' } };
}

/** A run that counted, as the run cache keeps it. */
const RememberedRunSchema = z.object({
  results: z.array(z.tuple([z.string(), z.enum(TEST_STATUSES)])),
  logTail: z.string(),
  flaky: z.array(z.string()).optional(),
});
type RememberedRun = z.infer<typeof RememberedRunSchema>;

/**
 * The tests of `env` at `commit`, read from an earlier run when one counted,
 * else run in the container `box()` gives (and remembered when the run counts).
 */
export async function rememberedTests(
  deps: Pick<PipelineDeps, 'sandbox' | 'logger'>,
  env: Environment,
  commit: string,
  box: () => Promise<Instance>,
): Promise<JudgedTests & { remembered: boolean }> {
  const earlier = await deps.sandbox.runs.get({ env, commit }, RememberedRunSchema);
  if (earlier !== undefined) return { ...fromRemembered(earlier), remembered: true };
  const run = await judgedTests(await box(), env);
  if (run.validity.valid) await remember(deps, env, commit, toRemembered(run));
  return { ...run, remembered: false };
}

function fromRemembered(run: RememberedRun): JudgedTests {
  return { results: new Map(run.results), validity: { valid: true }, logTail: run.logTail };
}

function toRemembered(run: JudgedTests, flaky?: string[]): RememberedRun {
  return { results: [...run.results], logTail: run.logTail, ...(flaky === undefined ? {} : { flaky }) };
}

async function remember(deps: Pick<PipelineDeps, 'sandbox' | 'logger'>, env: Environment, commit: string, run: RememberedRun): Promise<void> {
  // A run not remembered costs the next job one run; it is no reason to fail this one.
  await deps.sandbox.runs.put({ env, commit }, run).catch((error: unknown) => deps.logger.warn({ err: String(error) }, 'cannot remember the test run'));
}

type Tried = { ok: true; baseline: Baseline } | { ok: false; check: Extract<RecipeCheck, { ok: false }>; error: unknown };

async function tryBaseline(deps: PipelineDeps, input: BaselineInput, spec: EnvironmentSpec, progress: ProgressListener): Promise<Tried> {
  const job = input.job === undefined ? {} : { job: input.job };
  let env: Environment;
  try {
    env = await deps.sandbox.ensureEnvironment(input.source, spec, job);
  } catch (error) {
    // A build that failed for good is the recipe's problem; anything else (the engine, the network) is the job's.
    if (!(error instanceof ImageBuildError) || error.kind !== 'permanent') throw error;
    return { ok: false, check: { ok: false, problem: error.message, logTail: error.logTail }, error };
  }
  progress({ stage: 'environment', message: `${env.cached ? 'cached' : 'built'} ${env.image} (${spec.language}; test: ${spec.test})` });
  const earlier = await deps.sandbox.runs.get({ env, commit: input.source.commit }, RememberedRunSchema);
  if (earlier !== undefined) {
    progress({ stage: 'baseline', message: 'the tests ran at this commit with this environment before: their results are reused' });
    return { ok: true, baseline: openedBaseline(deps, input, env, { run: fromRemembered(earlier), flaky: earlier.flaky, remembered: true }) };
  }
  const base = await deps.sandbox.createInstance(env, input.source, job);
  let snapshot: Snapshot | undefined;
  try {
    // The snapshot is taken before any test runs, so no test output leaks into candidates.
    snapshot = await base.snapshot(job);
    progress({ stage: 'baseline', message: 'running the tests at the base commit' });
    const run = await judgedTests(base, env);
    deps.logger.info({ tests: run.results.size, valid: run.validity.valid }, 'baseline test run');
    if (run.validity.valid) {
      await remember(deps, env, input.source.commit, toRemembered(run));
      return { ok: true, baseline: openedBaseline(deps, input, env, { base, snapshot, run, remembered: false }) };
    }
    await removeBoth(base, snapshot);
    return { ok: false, check: { ok: false, problem: run.validity.message, logTail: run.logTail }, error: baselineError(run.validity, spec) };
  } catch (error) {
    await removeBoth(base, snapshot);
    throw error;
  }
}

interface BaselineParts {
  run: JudgedTests;
  remembered: boolean;
  /** The container the run was made in, and the snapshot taken of it before; absent for a remembered run. */
  base?: Instance;
  snapshot?: Snapshot;
  flaky?: string[] | undefined;
}

function openedBaseline(deps: PipelineDeps, input: BaselineInput, env: Environment, parts: BaselineParts): Baseline {
  const job = input.job === undefined ? {} : { job: input.job };
  const { base } = parts;
  let snapshot: Promise<Snapshot> | undefined = parts.snapshot === undefined ? undefined : Promise.resolve(parts.snapshot);
  let flaky: Promise<string[] | undefined> | undefined = parts.flaky === undefined ? undefined : Promise.resolve(parts.flaky);

  async function start(options: CreateInstanceOptions = job): Promise<Instance> {
    if (snapshot !== undefined) return (await snapshot).start(options);
    // A remembered baseline made no container: the first one is made from the
    // environment and snapshotted before anything runs in it, and the others start from that snapshot.
    const first = deps.sandbox.createInstance(env, input.source, options);
    snapshot = first.then((box) => box.snapshot(job));
    const box = await first;
    try {
      await snapshot;
    } catch (error) {
      await box.remove();
      throw error;
    }
    return box;
  }

  async function secondRun(): Promise<string[] | undefined> {
    // The base container has run the tests once already: the same code, the same tests, run again.
    const box = base ?? (await start());
    try {
      const again = await judgedTests(box, env);
      if (!again.validity.valid) {
        deps.logger.warn({ problem: again.validity.message }, 'the second baseline run does not count: no flaky tests found');
        return undefined;
      }
      const found = flakyTests(parts.run.results, again.results);
      await remember(deps, env, input.source.commit, toRemembered(parts.run, found));
      return found;
    } finally {
      if (box !== base) await box.remove();
    }
  }

  return {
    spec: env.spec,
    env,
    run: parts.run,
    remembered: parts.remembered,
    start,
    flaky: () => (flaky ??= secondRun()),
    close: async () => removeBoth(base, await snapshot?.catch(() => undefined)),
  };
}

async function removeBoth(base: Instance | undefined, snapshot: Snapshot | undefined): Promise<void> {
  await base?.remove();
  await snapshot?.remove().catch(() => undefined);
}

/** The job's end when the tests at the base commit do not count: with no baseline, no candidate can be checked. */
function baselineError(problem: InvalidRun, spec: EnvironmentSpec): SweBotError {
  return new SweBotError(`The tests at the base commit cannot serve as a baseline: ${problem.message}. Without one no fix can be checked, so none was attempted.`, {
    kind: 'permanent',
    code: 'baseline_invalid',
    hint: baselineHint(problem, spec),
  });
}

function baselineHint(problem: InvalidRun, spec: EnvironmentSpec): string {
  const where = 'in .github/swe-bot.yml';
  if (problem.reason === 'timed_out') {
    return `raise environment.timeout_minutes (now ${+(spec.timeoutMs / 60_000).toFixed(2)}) ${where}, or set environment.test to a faster command than \`${spec.test}\``;
  }
  if (problem.reason === 'exit_code_mismatch') {
    return `something besides the tests made \`${spec.test}\` fail (a lint step, a coverage threshold, a crash after the results); set environment.test ${where} to a command that only runs the tests`;
  }
  return `make sure \`${spec.test}\` runs the test suite and prints results the ${spec.logParser} log parser reads; set environment.test and environment.log_parser ${where}`;
}
