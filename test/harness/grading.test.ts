import { describe, expect, it } from 'vitest';
import { candidateVerdict, flakyTests, grade, resolutionStatus, testsStatus, transitions, type RunEvidence } from '../../src/harness/grading.ts';
import { MARKER } from '../../src/harness/markers.ts';
import type { TestResults, TestStatus } from '../../src/harness/test-status.ts';

const results = (entries: Record<string, TestStatus>): TestResults => new Map(Object.entries(entries));
const log = `${MARKER.testStart}\n...\n${MARKER.testEnd}\n`;
const run = (entries: Record<string, TestStatus>, extra: Partial<RunEvidence> = {}): RunEvidence => ({
  patchApplied: true,
  log,
  exitCode: Object.values(entries).some((s) => s === 'FAILED' || s === 'ERROR') ? 1 : 0,
  timedOut: false,
  results: results(entries),
  ...extra,
});

describe('SWE-bench grading', () => {
  it('is FULL when every FAIL_TO_PASS and PASS_TO_PASS test passes (XFAIL counts as passing)', () => {
    const graded = grade(['f1', 'f2'], ['p1'], run({ f1: 'PASSED', f2: 'XFAIL', p1: 'PASSED' }));
    expect(graded).toMatchObject({ status: 'FULL', resolved: true, invalid: undefined });
    expect(graded.tests_status.FAIL_TO_PASS).toEqual({ success: ['f1', 'f2'], failure: [] });
  });

  it('is PARTIAL when some FAIL_TO_PASS pass and all PASS_TO_PASS pass', () => {
    expect(grade(['f1', 'f2'], ['p1'], run({ f1: 'PASSED', f2: 'FAILED', p1: 'PASSED' })).status).toBe('PARTIAL');
  });

  it('is NO when a PASS_TO_PASS test breaks, or no FAIL_TO_PASS passes', () => {
    expect(grade(['f1'], ['p1'], run({ f1: 'PASSED', p1: 'FAILED' })).status).toBe('NO');
    expect(grade(['f1'], ['p1'], run({ f1: 'ERROR', p1: 'PASSED' })).status).toBe('NO');
  });

  it('counts a missing test as failed and a skipped one as neither', () => {
    const status = testsStatus(['gone', 'skipped'], [], results({ skipped: 'SKIPPED' }));
    expect(status.FAIL_TO_PASS).toEqual({ success: [], failure: ['gone'] });
    expect(resolutionStatus(testsStatus(['skipped'], [], results({ skipped: 'SKIPPED' })))).toBe('FULL');
  });

  it('never resolves an invalid run, and says why', () => {
    const good = { f1: 'PASSED', p1: 'PASSED' } as const;
    expect(grade(['f1'], ['p1'], run(good, { patchApplied: false }))).toMatchObject({ status: 'NO', invalid: 'the patch did not apply' });
    expect(grade(['f1'], ['p1'], run(good, { log: 'no markers' })).invalid).toMatch(/markers/);
    expect(grade(['f1'], ['p1'], run({}, { log })).invalid).toMatch(/no sign/);
    expect(grade(['f1'], ['p1'], run(good, { exitCode: 2 })).invalid).toMatch(/exited 2 although no test failed/);
    expect(grade(['f1'], ['p1'], run(good, { timedOut: true })).invalid).toMatch(/timed out/);
  });
});

describe('baseline and candidate runs', () => {
  const base = results({ old: 'PASSED', broken: 'FAILED', flaky: 'PASSED' });

  it('derives FAIL_TO_PASS and PASS_TO_PASS and finds regressions', () => {
    const moves = transitions(base, results({ old: 'PASSED', broken: 'PASSED', flaky: 'FAILED' }));
    expect(moves).toEqual({ failToPass: ['broken'], passToPass: ['old'], passToFail: ['flaky'], failToFail: [] });
  });

  it('counts a new test as a reproduction only when it fails against the base source', () => {
    const candidate = results({ old: 'PASSED', broken: 'FAILED', flaky: 'PASSED', repro: 'PASSED' });
    expect(transitions(base, candidate).failToPass).toEqual([]);
    expect(transitions(base, candidate, results({ repro: 'FAILED' })).failToPass).toEqual(['repro']);
    expect(transitions(base, candidate, results({ repro: 'PASSED' })).failToPass).toEqual([]);
  });

  it('takes no evidence from a failing test the candidate edited so that it passes on the unfixed source', () => {
    const candidate = results({ old: 'PASSED', broken: 'PASSED', flaky: 'PASSED' });
    // The candidate's test changes alone, on the base source: the edited test already passes there.
    expect(transitions(base, candidate, results({ old: 'PASSED', broken: 'PASSED', flaky: 'PASSED' })).failToPass).toEqual([]);
    // Unedited, it still fails there: the fix is what made it pass.
    expect(transitions(base, candidate, results({ old: 'PASSED', broken: 'FAILED', flaky: 'PASSED' })).failToPass).toEqual(['broken']);
  });

  it('counts a test that passed at the base and is gone or skipped now as a regression', () => {
    expect(transitions(base, results({ broken: 'PASSED', flaky: 'SKIPPED' })).passToFail).toEqual(['old', 'flaky']);
  });

  it('finds flaky tests by outcome, and counts them neither as evidence nor as regressions', () => {
    expect(flakyTests(results({ a: 'PASSED', b: 'FAILED', c: 'SKIPPED', d: 'PASSED' }), results({ a: 'FAILED', b: 'ERROR', c: 'FAILED' }))).toEqual(['a', 'd']);
    const moves = transitions(base, results({ old: 'FAILED', broken: 'PASSED', flaky: 'FAILED' }), undefined, new Set(['old', 'broken']));
    expect(moves).toEqual({ failToPass: [], passToPass: [], passToFail: ['flaky'], failToFail: [] });
  });

  it('gives the app verdicts', () => {
    const clean = { failToPass: ['repro'], passToPass: ['old'], passToFail: [], failToFail: [] };
    expect(candidateVerdict({ patch: 'diff', applied: true, moves: clean, runValid: true })).toBe('verified');
    expect(candidateVerdict({ patch: 'diff', applied: true, moves: { ...clean, failToPass: [] }, runValid: true })).toBe('plausible');
    expect(candidateVerdict({ patch: 'diff', applied: true, moves: { ...clean, passToFail: ['old'] }, runValid: true })).toBe('regression');
    expect(candidateVerdict({ patch: 'diff', applied: false, moves: clean, runValid: true })).toBe('not_applied');
    expect(candidateVerdict({ patch: '  ', applied: true, moves: clean, runValid: true })).toBe('no_patch');
  });
});
