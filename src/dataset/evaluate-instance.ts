/**
 * One instance of a SWE-bench-style evaluation, top to bottom:
 * repository → environment → instance container → model patch → test patch
 * → test run → parse → grade, with every step logged to the instance's folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeError, SweBotError } from '../errors.ts';
import type { DatasetInstance, Prediction } from '../harness/dataset.ts';
import { grade, type Grade } from '../harness/grading.ts';
import { applyPatch } from '../harness/patch-apply.ts';
import { parseTestLog } from '../harness/parsers/index.ts';
import { runValidity } from '../harness/run-validity.ts';
import { runTests, type TestRun } from '../harness/test-run.ts';
import type { PipelineDeps } from '../jobs/pipeline-deps.ts';
import type { Environment } from '../sandbox/sandbox.ts';
import type { SourceRef } from '../sandbox/source.ts';
import { instanceEnvironment, instanceSource, safeName, type RepositoryResolver } from './dataset-instance.ts';

/** Default limit of one test run when the dataset names none. */
export const DEFAULT_TEST_TIMEOUT_MS = 30 * 60_000;

export interface InstanceReport {
  status: Grade['status'];
  resolved: boolean;
  patch_applied: boolean;
  tests_status: Grade['tests_status'];
  /** Why the run could not be trusted (grading hardening). */
  invalid?: string;
  timed_out?: boolean;
  /** Runs made: a second one when the first was invalid (flaky runners). */
  attempts?: number;
  log_parser?: string;
  duration_ms: number;
}

export type InstanceOutcome =
  | { kind: 'graded'; report: InstanceReport; env: Environment }
  | { kind: 'empty_patch' }
  | { kind: 'error'; reason: string };

export interface InstanceDeps extends Omit<PipelineDeps, 'model'> {
  /** Finds (or fetches) the git repository of `owner/name`. */
  repository: RepositoryResolver;
}

export async function evaluateInstance(
  deps: InstanceDeps,
  instance: DatasetInstance,
  prediction: Prediction,
  logDir: string,
): Promise<InstanceOutcome> {
  const started = Date.now();
  const dir = path.join(logDir, safeName(instance.instance_id));
  await fs.mkdir(dir, { recursive: true });
  const lines: string[] = [];
  const note = (text: string): void => {
    lines.push(`[${new Date().toISOString()}] ${text}`);
  };
  const flush = (): Promise<void> => fs.writeFile(path.join(dir, 'run_instance.log'), `${lines.join('\n')}\n`);
  await fs.writeFile(path.join(dir, 'patch.diff'), prediction.model_patch);

  if (prediction.model_patch.trim() === '') {
    note('empty model patch: not evaluated (SWE-bench counts it as unresolved)');
    await flush();
    return { kind: 'empty_patch' };
  }

  let source: SourceRef;
  let env: Environment;
  try {
    source = await instanceSource(deps.repository, instance);
    note(`repository ${instance.repo} at ${source.commit} (${source.repoDir})`);
    const spec = await instanceEnvironment(deps.sandbox, source, instance);
    env = await deps.sandbox.ensureEnvironment(source, spec, { job: `evaluate:${instance.instance_id}` });
    note(`environment ${env.image} (${env.cached ? 'cached' : 'built'}); log ${env.logFile}`);
  } catch (error) {
    const reason = describeError(error) + (error instanceof SweBotError && error.hint ? ` (${error.hint})` : '');
    note(`error: ${reason}`);
    await flush();
    return { kind: 'error', reason };
  }

  const testCommand = env.spec.test;
  const timeoutMs = instance.spec?.timeout_s !== undefined ? instance.spec.timeout_s * 1000 : env.spec.timeoutMs || DEFAULT_TEST_TIMEOUT_MS;
  try {
    const report = await deps.sandbox.withInstance(
      env,
      source,
      async (box) => {
        const applied = await applyPatch(box, prediction.model_patch);
        note(`model patch:\n${applied.log}`);
        if (!applied.applied) {
          return notApplied(instance, Date.now() - started);
        }
        if (instance.test_patch.trim() !== '') {
          const tests = await applyPatch(box, instance.test_patch);
          note(`test patch:\n${tests.log}`);
          if (!tests.applied) throw new Error('the test patch does not apply on top of the model patch');
        }
        let attempts = 0;
        let run: TestRun;
        let graded: Grade;
        let parserName: string;
        do {
          attempts += 1;
          note(`$ ${testCommand} (attempt ${attempts}, limit ${timeoutMs} ms)`);
          run = await runTests(box, testCommand, { timeoutMs });
          await fs.writeFile(path.join(dir, attempts === 1 ? 'test_output.txt' : `test_output.${attempts}.txt`), run.log);
          const parsed = await parseTestLog(env.spec.logParser, run.output, testCommand);
          parserName = parsed.parser;
          graded = grade(instance.FAIL_TO_PASS, instance.PASS_TO_PASS, {
            patchApplied: true,
            log: run.log,
            exitCode: run.exitCode,
            timedOut: run.timedOut,
            results: parsed.results,
          });
          note(`exit ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}; ${parsed.results.size} tests parsed by ${parsed.parser}; ${graded.status}${graded.invalid ? ` (invalid: ${graded.invalid})` : ''}`);
          // One retry for a run that cannot be trusted, but not for a hang.
        } while (graded.invalid !== undefined && !run.timedOut && attempts < 2);
        const out: InstanceReport = {
          status: graded.status,
          resolved: graded.resolved,
          patch_applied: true,
          tests_status: graded.tests_status,
          log_parser: parserName,
          attempts,
          duration_ms: Date.now() - started,
        };
        if (graded.invalid !== undefined) out.invalid = graded.invalid;
        if (run.timedOut) out.timed_out = true;
        return out;
      },
      { job: `evaluate:${instance.instance_id}` },
    );
    await fs.writeFile(path.join(dir, 'report.json'), `${JSON.stringify({ [instance.instance_id]: report }, null, 2)}\n`);
    return { kind: 'graded', report, env };
  } catch (error) {
    note(`error: ${describeError(error)}`);
    return { kind: 'error', reason: describeError(error) };
  } finally {
    await flush();
  }
}

function notApplied(instance: DatasetInstance, ms: number): InstanceReport {
  return {
    status: 'NO',
    resolved: false,
    patch_applied: false,
    tests_status: {
      FAIL_TO_PASS: { success: [], failure: [...instance.FAIL_TO_PASS] },
      PASS_TO_PASS: { success: [], failure: [...instance.PASS_TO_PASS] },
    },
    invalid: runValidity({ patchApplied: false }).message,
    duration_ms: ms,
  };
}
