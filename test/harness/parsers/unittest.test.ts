/** unittest's verbose lines in their forms; the recorded real output (Python 3.11) is read in index-recorded.test.ts. */
import { describe, expect, it } from 'vitest';
import { parser as unittest, unittestId } from '../../../src/harness/parsers/unittest.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('unittest', () => {
  it('names a test by its id under the Python ≤3.10 and ≥3.11 forms alike', () => {
    const before = ['test_a (pkg.test_mod.TestX) ... ok', 'test_b (pkg.test_mod.TestX) ... FAIL'].join('\n');
    const after = ['test_a (pkg.test_mod.TestX.test_a) ... ok', 'test_b (pkg.test_mod.TestX.test_b) ... FAIL'].join('\n');
    const expected = { 'pkg.test_mod.TestX.test_a': 'PASSED', 'pkg.test_mod.TestX.test_b': 'FAILED' };
    expect(asObject(unittest.parse(before))).toEqual(expected);
    expect(asObject(unittest.parse(after))).toEqual(expected);
    expect(unittestId('setUpClass', 'mod.TestX')).toBe('mod.TestX.setUpClass');
  });

  it('reads every outcome word, and a docstring line between the name and the outcome', () => {
    const log = [
      'test_ok (m.T.test_ok) ... ok',
      'test_fail (m.T.test_fail) ... FAIL',
      'test_error (m.T.test_error) ... ERROR',
      "test_skip (m.T.test_skip) ... skipped 'no ... network'",
      'test_xfail (m.T.test_xfail) ... expected failure',
      'test_xpass (m.T.test_xpass) ... unexpected success',
      'test_doc (m.T.test_doc)',
      'Checks that ... things work. ... ok',
    ].join('\n');
    expect(asObject(unittest.parse(log))).toEqual({
      'm.T.test_ok': 'PASSED',
      'm.T.test_fail': 'FAILED',
      'm.T.test_error': 'ERROR',
      'm.T.test_skip': 'SKIPPED',
      'm.T.test_xfail': 'XFAIL',
      'm.T.test_xpass': 'FAILED',
      'm.T.test_doc': 'PASSED',
    });
  });

  it('fails a test by its failing subtests, from their lines (≥3.11) or the error list (≤3.10, where the next test follows on the same line)', () => {
    const modern = [
      'test_sub (m.T.test_sub) ... ',
      '  test_sub (m.T.test_sub) (i=1) ... FAIL',
      '  test_sub (m.T.test_sub) (i=2) ... ERROR',
      'test_next (m.T.test_next) ... ok',
    ].join('\n');
    expect(asObject(unittest.parse(modern))).toEqual({ 'm.T.test_sub': 'ERROR', 'm.T.test_next': 'PASSED' });
    const old = [
      'test_sub (m.T) ... test_next (m.T) ... ok',
      '',
      '======================================================================',
      'FAIL: test_sub (m.T) (i=1)',
      '----------------------------------------------------------------------',
      'Traceback (most recent call last):',
      'AssertionError: 1 not less than 1',
      '',
      '----------------------------------------------------------------------',
      'Ran 2 tests in 0.001s',
      '',
      'FAILED (failures=1)',
    ].join('\n');
    expect(asObject(unittest.parse(old))).toEqual({ 'm.T.test_sub': 'FAILED', 'm.T.test_next': 'PASSED' });
  });

  it('takes an outcome that stdout pushed onto a line of its own, and does not read tracebacks or the summary as tests', () => {
    const log = [
      'test_print (m.T.test_print) ... printed text',
      'ok',
      'test_after (m.T.test_after) ... ok',
      '======================================================================',
      'ERROR: test_gone (m.T.test_gone)',
      '----------------------------------------------------------------------',
      'test_in_traceback (m.T.test_in_traceback) ... ok',
      '----------------------------------------------------------------------',
      'Ran 3 tests in 0.001s',
      '',
      'OK (skipped=1)',
    ].join('\n');
    expect(asObject(unittest.parse(log))).toEqual({
      'm.T.test_print': 'PASSED',
      'm.T.test_after': 'PASSED',
      // Named only by the error list: its verbose line was lost.
      'm.T.test_gone': 'ERROR',
    });
  });

  it('gives a test seen in a second run ` (#2)`, and Python identifiers their letters', () => {
    const log = 'test_ä (m.T.test_ä) ... ok\nRan 1 test in 0.000s\nOK\ntest_ä (m.T.test_ä) ... FAIL\n';
    expect(asObject(unittest.parse(log))).toEqual({ 'm.T.test_ä': 'PASSED', 'm.T.test_ä (#2)': 'FAILED' });
  });
});
