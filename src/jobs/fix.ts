/**
 * The fix pipeline, top to bottom (design.md §3, §4):
 * environment → a clean snapshot of the repository → baseline test run →
 * N agent candidates in parallel containers from that snapshot → each
 * candidate graded against the baseline in fresh containers → best of N.
 * Written so the App can call it; `swe-bot fix` calls it on a local checkout.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { runAgent, type AgentResult } from '../agent/agent-loop.ts';
import { createToolbox } from '../agent/tools/index.ts';
import type { EnvironmentConfig } from '../config/repo-config.ts';
import { describeError, findSweBotError } from '../errors.ts';
import { candidateVerdict, flakyTests, transitions, type CandidateVerdict, type Transitions } from '../harness/grading.ts';
import { applyPatch } from '../harness/patch-apply.ts';
import { countPassing, type TestResults } from '../harness/test-status.ts';
import type { EnvironmentSpec } from '../sandbox/detect.ts';
import type { EgressRefusal, Environment, SourceRef } from '../sandbox/sandbox.ts';
import { DISK_LIMIT_CODE } from '../sandbox/disk-limit.ts';
import { selectBest, splitPatch } from '../harness/fix-selection.ts';
import { redactorOf, redactText, type PipelineDeps } from './pipeline-deps.ts';
import { judgedTests, openBaseline, type Baseline, type JudgedTests } from './baseline.ts';
import { ignoreProgress, type ProgressListener } from './progress.ts';

/** Temperature of the candidates when there are several (one runs at 0). */
export const SAMPLING_TEMPERATURE = 0.7;

export interface FixInput {
  source: SourceRef;
  issue: string;
  environment: EnvironmentConfig;
  /**
   * The environment already detected (dataset instances adjust what detection
   * finds); detected from `environment` when absent.
   */
  spec?: EnvironmentSpec;
  /** Best-of-N. Default 1. */
  candidates?: number;
  maxIterations?: number;
  /** Where patch.diff, result.json and trajectory-N.jsonl go. */
  outDir?: string;
  job?: string;
  signal?: AbortSignal;
  /** Told of each stage (environment, baseline, agent steps, tests, done) as it happens. */
  onProgress?: ProgressListener;
}

export interface CandidateReport {
  index: number;
  verdict: CandidateVerdict;
  patch: string;
  agent: { exit: AgentResult['exit']; reason: string; iterations: number; taskCompleted: boolean | undefined };
  moves: Transitions;
  /** Test statuses with the candidate's patch. */
  after: Record<string, string>;
  /** Tests whose outcome changed between identical runs (at the base, or with this patch): counted neither way. */
  flaky: string[];
  tokens: { prompt: number; completion: number };
}

export interface FixResult {
  verdict: CandidateVerdict;
  patch: string;
  /** Test names and statuses before (baseline) and after (chosen candidate). */
  tests: { before: Record<string, string>; after: Record<string, string>; failToPass: string[]; passToFail: string[]; flaky: string[] };
  /** The commands the tests ran with, and where they came from. */
  environment: Pick<EnvironmentSpec, 'setup' | 'test' | 'logParser' | 'origin'>;
  /** What the environment build's egress proxy refused, when the image was built for this job. */
  egressRefused: EgressRefusal[];
  tokens: { prompt: number; completion: number };
  timeMs: number;
  chosen: number | undefined;
  candidates: CandidateReport[];
}

export async function runFix(deps: PipelineDeps, input: FixInput): Promise<FixResult> {
  const started = Date.now();
  const { sandbox, logger } = deps;
  const progress = input.onProgress ?? ignoreProgress;
  progress({ stage: 'environment', message: 'preparing the environment image (built unless cached)' });
  const detected = input.spec ?? (await sandbox.detect(input.source, input.environment));
  // The baseline comes before the candidates: one that does not count stops
  // the job before any agent spends tokens on a fix nothing could check.
  const opened = await openBaseline(deps, { source: input.source, spec: detected, job: input.job, signal: input.signal }, progress);
  const { env, run: baseline } = opened;
  try {
    progress({ stage: 'baseline', message: `${baseline.results.size} tests at the base commit, ${countPassing(baseline.results)} passing` });
    // Once more, the same code and tests: what changes between the two runs is flaky.
    const flaky = (await opened.flaky()) ?? [];
    if (flaky.length > 0) progress({ stage: 'baseline', message: `${flaky.length} flaky test(s) at the base commit: counted neither way` });
    const grading: Grading = { start: opened.start, env, baseline: baseline.results, flaky, testsOnBase: new Map() };
    const count = Math.max(1, input.candidates ?? 1);
    const reports = await Promise.all(Array.from({ length: count }, (_, index) => runCandidate(deps, input, grading, index, count, progress)));
    const chosen = selectBest(reports);
    const best = chosen === undefined ? undefined : reports[chosen];
    const result: FixResult = {
      verdict: best?.verdict ?? reports[0]?.verdict ?? 'no_patch',
      patch: best?.patch ?? '',
      tests: {
        before: Object.fromEntries(baseline.results),
        after: best?.after ?? {},
        failToPass: best?.moves.failToPass ?? [],
        passToFail: best?.moves.passToFail ?? [],
        flaky: best?.flaky ?? flaky,
      },
      environment: { setup: env.spec.setup, test: env.spec.test, logParser: env.spec.logParser, origin: env.spec.origin },
      egressRefused: env.egressRefused,
      tokens: reports.reduce((sum, report) => ({ prompt: sum.prompt + report.tokens.prompt, completion: sum.completion + report.tokens.completion }), { prompt: 0, completion: 0 }),
      timeMs: Date.now() - started,
      chosen,
      candidates: reports,
    };
    if (input.outDir !== undefined) {
      await fs.mkdir(input.outDir, { recursive: true });
      await fs.writeFile(path.join(input.outDir, 'patch.diff'), result.patch);
      await fs.writeFile(path.join(input.outDir, 'result.json'), redactText(deps, `${JSON.stringify(result, null, 2)}\n`));
    }
    progress({ stage: 'done', message: `${result.verdict}${chosen === undefined ? '' : ` (candidate ${chosen})`}` });
    return result;
  } finally {
    await opened.close();
    await sandbox.release(env).catch((error: unknown) => logger.warn({ err: describeError(error) }, 'cannot apply the cache level'));
  }
}

/** What grading a candidate needs, shared by all candidates of one fix. */
interface Grading {
  /** A fresh container of the base commit. */
  start: Baseline['start'];
  env: Environment;
  baseline: TestResults;
  /** Tests flaky at the base commit. */
  flaky: string[];
  /**
   * Results of test-only patches on the base source, by patch text:
   * candidates often add the same reproduction test, which then runs once.
   */
  testsOnBase: Map<string, Promise<TestResults | undefined>>;
}

async function runCandidate(
  deps: PipelineDeps,
  input: FixInput,
  grading: Grading,
  index: number,
  count: number,
  progress: ProgressListener,
): Promise<CandidateReport> {
  const { start, env } = grading;
  const box = await start(input.job === undefined ? {} : { job: input.job });
  let agent: AgentResult;
  try {
    progress({ stage: 'agent', candidate: index, message: 'started' });
    agent = await runAgent(
      { model: deps.model, toolbox: createToolbox(), target: box, logger: deps.logger.child({ candidate: index }), ...redactorOf(deps) },
      {
        task: input.issue,
        ...(input.source.name === undefined ? {} : { repo: input.source.name }),
        ...(input.maxIterations === undefined ? {} : { maxIterations: input.maxIterations }),
        temperature: count === 1 || index === 0 ? 0 : SAMPLING_TEMPERATURE,
        ...(input.outDir === undefined ? {} : { trajectoryFile: path.join(input.outDir, `trajectory-${index}.jsonl`) }),
        ...(input.signal === undefined ? {} : { signal: input.signal }),
        onStep: (step, tool) => progress({ stage: 'agent', candidate: index, step, message: `step ${step}: ${tool}` }),
      },
    );
  } finally {
    await box.remove();
  }
  const report: CandidateReport = {
    index,
    verdict: 'no_patch',
    patch: agent.diff,
    agent: { exit: agent.exit, reason: agent.reason, iterations: agent.iterations, taskCompleted: agent.finish?.taskCompleted },
    moves: { failToPass: [], passToPass: [], passToFail: [], failToFail: [] },
    after: {},
    flaky: grading.flaky,
    tokens: { prompt: agent.usage.promptTokens, completion: agent.usage.completionTokens },
  };
  if (agent.diff.trim() === '') {
    progress({ stage: 'tests', candidate: index, message: `no patch to grade (${agent.exit} after ${agent.iterations} steps)` });
    return report;
  }
  progress({ stage: 'tests', candidate: index, message: `grading the patch (${agent.exit} after ${agent.iterations} steps)` });
  // Grade in fresh containers: the candidate's whole patch, and its test
  // changes alone on the base source (new tests must fail there).
  const { tests } = splitPatch(agent.diff);
  let testsOnBaseRun: Promise<TestResults | undefined> | undefined;
  if (tests.trim() !== '') {
    // A run that does not count (timed out, say) is no evidence: its missing tests would read as failing at the base.
    testsOnBaseRun = grading.testsOnBase.get(tests) ?? testsWithPatch(start, env, tests).then((run) => (run?.validity.valid ? run.results : undefined));
    grading.testsOnBase.set(tests, testsOnBaseRun);
  }
  const [withPatch, testsOnBase] = await Promise.all([testsWithPatch(start, env, agent.diff), testsOnBaseRun]);
  const candidateResults = withPatch?.results ?? (new Map() as TestResults);
  report.moves = transitions(grading.baseline, candidateResults, testsOnBase, new Set(grading.flaky));
  if (withPatch?.validity.valid === true && report.moves.failToPass.length + report.moves.passToFail.length > 0) {
    // The tests that move are the verdict: they must move the same way twice.
    const again = await testsWithPatch(start, env, agent.diff);
    if (again?.validity.valid === true) {
      report.flaky = [...new Set([...grading.flaky, ...flakyTests(candidateResults, again.results)])].sort();
      report.moves = transitions(grading.baseline, candidateResults, testsOnBase, new Set(report.flaky));
    }
  }
  report.after = Object.fromEntries(withPatch?.results ?? []);
  report.verdict = candidateVerdict({ patch: agent.diff, applied: withPatch !== undefined, moves: report.moves, runValid: withPatch?.validity.valid ?? false });
  progress({ stage: 'tests', candidate: index, message: report.verdict });
  return report;
}

/** The tests with `patch` applied in a fresh container; undefined when it does not apply. */
async function testsWithPatch(start: Baseline['start'], env: Environment, patch: string): Promise<JudgedTests | undefined> {
  const box = await start();
  try {
    const applied = await applyPatch(box, patch);
    if (!applied.applied) return undefined;
    return await judgedTests(box, env);
  } catch (error) {
    // The patch's tests filled the disk: a run that does not count, like one
    // that timed out, which the candidate's verdict shows; not the job's failure.
    if (findSweBotError(error)?.code !== DISK_LIMIT_CODE) throw error;
    return { results: new Map(), validity: { valid: false, reason: 'sandbox_failed', message: describeError(error) }, logTail: '' };
  } finally {
    await box.remove();
  }
}
