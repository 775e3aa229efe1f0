/**
 * Whether a test run counts as evidence (design.md §3), decided here for every
 * caller: the dataset grader, the fix pipeline's baseline and candidates, and
 * the review's run at the head. A run that does not count may still hold
 * results, but they prove nothing: a hang or a crash leaves tests missing or
 * reads as "all passed" when the suite never finished.
 */
import { MARKER } from './markers.ts';
import type { TestResults } from './test-status.ts';

/** Why a run does not count, in the order the checks run. */
export type InvalidRunReason = 'patch_not_applied' | 'timed_out' | 'markers_missing' | 'no_results' | 'exit_code_mismatch' | 'sandbox_failed';

/** A run that does not count; `message` is a lower-case phrase written for people. */
export interface InvalidRun {
  valid: false;
  reason: InvalidRunReason;
  message: string;
}

/** The verdict on one run. */
export type RunValidity = { valid: true } | InvalidRun;

/** A finished test run and what the log parser read from it. */
export interface FinishedRun {
  /** The whole log, markers included. */
  log: string;
  exitCode: number;
  timedOut: boolean;
  results: TestResults;
}

/**
 * What a run is judged on. A patch that did not apply needs no run: the tests
 * would show the unpatched code. Runs without a patch leave `patchApplied` out.
 */
export type RunValidityInput = { patchApplied: false } | (FinishedRun & { patchApplied?: boolean });

/**
 * Whether a run counts: not when its patch did not apply, it timed out, its
 * log lacks the start/end markers, nothing was parsed from it, or it exited
 * non-zero although no test failed (something other than the tests broke).
 */
export function runValidity(input: { patchApplied: false }): InvalidRun;
export function runValidity(input: RunValidityInput): RunValidity;
export function runValidity(input: RunValidityInput): RunValidity {
  if (input.patchApplied === false) return invalid('patch_not_applied', 'the patch did not apply');
  // Before the markers: a run cut at its limit never prints the end marker.
  if (input.timedOut) return invalid('timed_out', 'the tests timed out');
  if (!input.log.includes(MARKER.testStart) || !input.log.includes(MARKER.testEnd)) return invalid('markers_missing', 'the test log lacks the start/end markers');
  if (input.results.size === 0) {
    return invalid('no_results', `the test run shows no sign of having run: no test results could be parsed (exit ${input.exitCode})`);
  }
  const anyFailed = [...input.results.values()].some((status) => status === 'FAILED' || status === 'ERROR');
  if (input.exitCode !== 0 && !anyFailed) return invalid('exit_code_mismatch', `the test command exited ${input.exitCode} although no test failed`);
  return { valid: true };
}

function invalid(reason: InvalidRunReason, message: string): InvalidRun {
  return { valid: false, reason, message };
}
