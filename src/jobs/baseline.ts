/**
 * The fix pipeline's starting point (design.md §3, "In the app"): the
 * environment built, an instance of the base commit, a clean snapshot of it
 * for the candidates, and a baseline test run that counts. When the detected
 * commands give none (the environment does not build, or the run does not
 * count), the setup agent (setup-agent.ts) proposes commands until one
 * recipe's baseline counts; configured commands are the maintainers' and are
 * never second-guessed.
 */
import { ImageBuildError, SweBotError } from '../errors.ts';
import { parseTestLog } from '../harness/parsers/index.ts';
import { runValidity, type InvalidRun, type RunValidity } from '../harness/run-validity.ts';
import { runTests } from '../harness/test-run.ts';
import { countPassing, type TestResults } from '../harness/test-status.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import type { Snapshot } from '../sandbox/instance.ts';
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
  const run = await runTests(box, env.spec.test, { timeoutMs: env.spec.timeoutMs });
  const { results } = await parseTestLog(env.spec.logParser, run.output, env.spec.test);
  return {
    results,
    validity: runValidity({ log: run.log, exitCode: run.exitCode, timedOut: run.timedOut, results }),
    logTail: run.output.trimEnd().split('\n').slice(-SETUP_LOG_LINES).join('\n'),
  };
}

/** An open baseline: the caller removes `base` and `snapshot` and releases `env`. */
export interface Baseline {
  spec: EnvironmentSpec;
  env: Environment;
  base: Instance;
  snapshot: Snapshot;
  run: JudgedTests;
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
        await close(tried.baseline);
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

/** Removes what {@link openBaseline} opened. */
export async function close(baseline: { base: Instance; snapshot?: Snapshot | undefined }): Promise<void> {
  await baseline.base.remove();
  await baseline.snapshot?.remove().catch(() => undefined);
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
  const base = await deps.sandbox.createInstance(env, input.source, job);
  let snapshot: Snapshot | undefined;
  try {
    // The snapshot is taken before any test runs, so no test output leaks into candidates.
    snapshot = await base.snapshot();
    progress({ stage: 'baseline', message: 'running the tests at the base commit' });
    const run = await judgedTests(base, env);
    deps.logger.info({ tests: run.results.size, valid: run.validity.valid }, 'baseline test run');
    if (run.validity.valid) return { ok: true, baseline: { spec, env, base, snapshot, run } };
    await close({ base, snapshot });
    return { ok: false, check: { ok: false, problem: run.validity.message, logTail: run.logTail }, error: baselineError(run.validity, spec) };
  } catch (error) {
    await close({ base, snapshot });
    throw error;
  }
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
