import { describe, expect, it } from 'vitest';
import { MARKER } from '../../src/harness/markers.ts';
import { runValidity, type FinishedRun } from '../../src/harness/run-validity.ts';
import type { TestStatus } from '../../src/harness/test-status.ts';

const LOG = `${MARKER.testStart}\nok 1 - adds\n${MARKER.testEnd}\n`;
const run = (statuses: Record<string, TestStatus>, extra: Partial<FinishedRun> = {}): FinishedRun => ({
  log: LOG,
  exitCode: Object.values(statuses).some((status) => status === 'FAILED' || status === 'ERROR') ? 1 : 0,
  timedOut: false,
  results: new Map(Object.entries(statuses)),
  ...extra,
});

describe('runValidity', () => {
  it('counts a finished run whose exit code agrees with its results', () => {
    expect(runValidity(run({ adds: 'PASSED', skipped: 'SKIPPED' }))).toEqual({ valid: true });
    expect(runValidity(run({ adds: 'PASSED', broken: 'FAILED' }))).toEqual({ valid: true });
    expect(runValidity(run({ crashed: 'ERROR' }, { exitCode: 2 }))).toEqual({ valid: true });
    // A runner may exit 0 with failures (a reporter that swallows the code): the failures still show.
    expect(runValidity(run({ broken: 'FAILED' }, { exitCode: 0 }))).toEqual({ valid: true });
  });

  it('does not count a patch that did not apply, with or without a run', () => {
    expect(runValidity({ patchApplied: false })).toEqual({ valid: false, reason: 'patch_not_applied', message: 'the patch did not apply' });
    expect(runValidity({ ...run({ adds: 'PASSED' }), patchApplied: false })).toMatchObject({ reason: 'patch_not_applied' });
    expect(runValidity({ ...run({ adds: 'PASSED' }), patchApplied: true })).toEqual({ valid: true });
  });

  it('does not count a run that timed out, whatever it printed before', () => {
    const cut = run({ adds: 'PASSED' }, { timedOut: true, exitCode: 137, log: `${MARKER.testStart}\nok 1 - adds\n${MARKER.timedOut}\n` });
    expect(runValidity(cut)).toEqual({ valid: false, reason: 'timed_out', message: 'the tests timed out' });
  });

  it('does not count a log without both markers', () => {
    expect(runValidity(run({ adds: 'PASSED' }, { log: 'ok 1 - adds\n' }))).toEqual({
      valid: false,
      reason: 'markers_missing',
      message: 'the test log lacks the start/end markers',
    });
    expect(runValidity(run({ adds: 'PASSED' }, { log: `${MARKER.testStart}\nok 1 - adds\n` }))).toMatchObject({ reason: 'markers_missing' });
  });

  it('does not count a run with no results, and gives its exit code', () => {
    expect(runValidity(run({}, { exitCode: 127 }))).toEqual({
      valid: false,
      reason: 'no_results',
      message: 'the test run shows no sign of having run: no test results could be parsed (exit 127)',
    });
    expect(runValidity(run({}))).toMatchObject({ reason: 'no_results' });
  });

  it('does not count a non-zero exit when no test failed', () => {
    expect(runValidity(run({ adds: 'PASSED', skipped: 'SKIPPED' }, { exitCode: 1 }))).toEqual({
      valid: false,
      reason: 'exit_code_mismatch',
      message: 'the test command exited 1 although no test failed',
    });
    expect(runValidity(run({ expected: 'XFAIL' }, { exitCode: 3 }))).toMatchObject({ reason: 'exit_code_mismatch' });
  });

  it('gives the first reason when several apply', () => {
    expect(runValidity({ ...run({}, { timedOut: true, log: '', exitCode: 1 }), patchApplied: false })).toMatchObject({ reason: 'patch_not_applied' });
    expect(runValidity(run({}, { timedOut: true, log: '' }))).toMatchObject({ reason: 'timed_out' });
    expect(runValidity(run({}, { log: '', exitCode: 1 }))).toMatchObject({ reason: 'markers_missing' });
    expect(runValidity(run({}, { exitCode: 1 }))).toMatchObject({ reason: 'no_results' });
  });
});
