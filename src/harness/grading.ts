/**
 * Grading with SWE-bench's semantics (swebench/harness/grading.py): a test
 * passes when reported PASSED or XFAIL, fails when missing, FAILED or ERROR
 * (a skipped test is neither); FULL when every FAIL_TO_PASS and PASS_TO_PASS
 * test passes, PARTIAL when some but not all FAIL_TO_PASS pass and every
 * PASS_TO_PASS passes, NO otherwise; resolved = FULL.
 *
 * Hardening (design.md §3): a run that does not count (run-validity.ts)
 * never resolves.
 */
import { runValidity, type FinishedRun } from './run-validity.ts';
import { isPassing, type TestResults } from './test-status.ts';

export type ResolutionStatus = 'FULL' | 'PARTIAL' | 'NO';

export interface TestsStatus {
  FAIL_TO_PASS: { success: string[]; failure: string[] };
  PASS_TO_PASS: { success: string[]; failure: string[] };
}

export interface Grade {
  status: ResolutionStatus;
  resolved: boolean;
  tests_status: TestsStatus;
  /** Why the run cannot be trusted; undefined for a valid run. */
  invalid: string | undefined;
}

/** A graded run: SWE-bench always has a patch under test. */
export interface RunEvidence extends FinishedRun {
  patchApplied: boolean;
}

export function testPassed(name: string, results: TestResults): boolean {
  return isPassing(results.get(name));
}

export function testFailed(name: string, results: TestResults): boolean {
  const status = results.get(name);
  return status === undefined || status === 'FAILED' || status === 'ERROR';
}

function rate(part: { success: string[]; failure: string[] }): number {
  const total = part.success.length + part.failure.length;
  return total === 0 ? 1 : part.success.length / total;
}

export function testsStatus(failToPass: string[], passToPass: string[], results: TestResults): TestsStatus {
  const split = (names: string[]) => ({
    success: names.filter((name) => testPassed(name, results)),
    failure: names.filter((name) => testFailed(name, results)),
  });
  return { FAIL_TO_PASS: split(failToPass), PASS_TO_PASS: split(passToPass) };
}

export function resolutionStatus(status: TestsStatus): ResolutionStatus {
  const f2p = rate(status.FAIL_TO_PASS);
  const p2p = rate(status.PASS_TO_PASS);
  if (f2p === 1 && p2p === 1) return 'FULL';
  if (f2p > 0 && f2p < 1 && p2p === 1) return 'PARTIAL';
  return 'NO';
}

export function grade(failToPass: string[], passToPass: string[], run: RunEvidence): Grade {
  const tests_status = testsStatus(failToPass, passToPass, run.results);
  const validity = runValidity(run);
  const invalid = validity.valid ? undefined : validity.message;
  const status = invalid === undefined ? resolutionStatus(tests_status) : 'NO';
  return { status, resolved: status === 'FULL', tests_status, invalid };
}

/** How each test moved between a baseline run and a candidate run. */
export interface Transitions {
  /** Failing (or, with `testsOnBase`, absent but failing on base) at the base; passing now. */
  failToPass: string[];
  passToPass: string[];
  /** Passing at the base; failing or gone now: regressions. */
  passToFail: string[];
  failToFail: string[];
}

/**
 * Derives FAIL_TO_PASS / PASS_TO_PASS from two runs when no gold tests exist
 * (design.md §3, "In the app"). `testsOnBase` is a run of the candidate's own
 * test changes against the base source: it shows that new tests fail there,
 * and that a test the candidate edited still fails there: a weakened
 * assertion or a changed expected value passes on the unfixed source and is
 * no evidence. A test gone or skipped that passed at the base is a
 * regression. `flaky` tests ({@link flakyTests}) are neither.
 */
export function transitions(base: TestResults, candidate: TestResults, testsOnBase?: TestResults, flaky: ReadonlySet<string> = new Set()): Transitions {
  const out: Transitions = { failToPass: [], passToPass: [], passToFail: [], failToFail: [] };
  for (const [name, status] of base) {
    if (flaky.has(name)) continue;
    if (isPassing(status)) (testPassed(name, candidate) ? out.passToPass : out.passToFail).push(name);
  }
  for (const [name, status] of candidate) {
    if (flaky.has(name) || isPassing(base.get(name))) continue;
    const failedAtBase = base.has(name)
      ? testFailed(name, base) && (testsOnBase === undefined || testFailed(name, testsOnBase))
      : testsOnBase !== undefined && testFailed(name, testsOnBase);
    if (!failedAtBase) continue;
    (isPassing(status) ? out.failToPass : out.failToFail).push(name);
  }
  return out;
}

/**
 * Tests whose outcome (passing or not) differs between two runs of the same
 * code and tests: flaky, so neither evidence of a fix nor a regression.
 * A test missing from one run counts as not passing there.
 */
export function flakyTests(first: TestResults, second: TestResults): string[] {
  const names = new Set([...first.keys(), ...second.keys()]);
  return [...names].filter((name) => testPassed(name, first) !== testPassed(name, second)).sort();
}

export type CandidateVerdict = 'verified' | 'plausible' | 'regression' | 'not_applied' | 'no_patch';

/**
 * The app's verdict on one candidate: verified when a reproduction test
 * fails at the base and passes with the fix and nothing regresses; plausible
 * when nothing regresses but no such test exists.
 */
export function candidateVerdict(input: { patch: string; applied: boolean; moves: Transitions; runValid: boolean }): CandidateVerdict {
  if (input.patch.trim() === '') return 'no_patch';
  if (!input.applied) return 'not_applied';
  if (!input.runValid || input.moves.passToFail.length > 0) return 'regression';
  return input.moves.failToPass.length > 0 ? 'verified' : 'plausible';
}
