import type { TestResults, TestStatus } from '../../src/harness/test-status.ts';

/** Parser results as a plain object, so that `toEqual` shows names and statuses. */
export const asObject = (results: TestResults): Record<string, TestStatus> => Object.fromEntries(results);

/** Inputs no parser should choke on: empty, binary, huge, and cut XML and JSON. */
export const GARBAGE = [
  '',
  '\n\n\n',
  'PASSED',
  'PASSED ',
  'FAILED  - ',
  'ERROR: file or directory not found: tests/nope.py',
  '\u0000\u0001\u00ff\ufffd binary \u001b[31m junk',
  '='.repeat(10_000),
  '[' .repeat(5_000) + ' PASSED',
  '<testsuite',
  '<testsuites><testsuite><testcase',
  '<<<>>> </testsuite> </testcase>',
  '<testsuite name="x"><testcase name=',
  '<testsuite <testsuite <testcase/>',
  '{"numTotalTests": 1, "testResults": [',
  'x'.repeat(200_000),
];
