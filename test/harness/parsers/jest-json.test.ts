/**
 * The jest --json parser on excerpts shaped like jest's real report: paths,
 * names, and reports cut at any point (the real runner is in
 * test/harness/parsers/auto-node.docker.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createJestJsonParser, parser as jestJson } from '../../../src/harness/parsers/jest-json.ts';
import type { TestStatus } from '../../../src/harness/test-status.ts';
import { asObject } from '../../helpers/parser-input.ts';

/** A jest --json report (the real shape, shortened) with one file that could not run. */
function jestReport(root: string): string {
  const assertion = (ancestors: string[], title: string, status: string): unknown => ({
    ancestorTitles: ancestors,
    duration: 1,
    failureMessages: [],
    fullName: [...ancestors, title].join(' '),
    status,
    title,
  });
  return JSON.stringify({
    numFailedTestSuites: 2,
    numTotalTests: 4,
    numRuntimeErrorTestSuites: 1,
    testResults: [
      {
        assertionResults: [assertion(['outer', 'inner'], 'passes', 'passed'), assertion(['outer'], 'fails {', 'failed')],
        endTime: 1,
        message: '',
        name: `${root}/__tests__/a.test.js`,
        status: 'failed',
      },
      {
        assertionResults: [assertion([], 'skipped "one"', 'pending'), assertion([], 'todo', 'todo'), assertion([], 'off', 'disabled')],
        name: `${root}/__tests__/b.test.js`,
        status: 'passed',
      },
      { assertionResults: [], message: '  ● Test suite failed to run', name: `${root}/__tests__/c.test.js`, status: 'failed' },
    ],
    wasInterrupted: false,
  });
}

const JEST_EXPECTED: Record<string, TestStatus> = {
  'outer inner passes': 'PASSED',
  'outer fails {': 'FAILED',
  'skipped "one"': 'SKIPPED',
  todo: 'SKIPPED',
  off: 'SKIPPED',
  '__tests__/c.test.js': 'ERROR',
};

describe('jest-json', () => {
  it('finds the report between other output and names a file that could not run relative to /testbed', () => {
    const log = `> jest --json\nFAIL __tests__/a.test.js\n  ● outer › fails {\n${jestReport('/testbed')}\nTest Suites: 2 failed\n`;
    expect(asObject(jestJson.parse(log))).toEqual(JEST_EXPECTED);
  });

  it('makes paths relative with the rootDir option, else with the progress lines, else keeps them', () => {
    expect(createJestJsonParser({ rootDir: '/work/repo/' }).parse(jestReport('/work/repo')).get('__tests__/c.test.js')).toBe('ERROR');
    const hinted = `FAIL __tests__/c.test.js\n${jestReport('/home/ci/repo')}`;
    expect(jestJson.parse(hinted).get('__tests__/c.test.js')).toBe('ERROR');
    expect(jestJson.parse(jestReport('/home/ci/repo')).get('/home/ci/repo/__tests__/c.test.js')).toBe('ERROR');
  });

  it('uses ancestor titles and title when fullName is missing', () => {
    const report = { numTotalTests: 1, testResults: [{ assertionResults: [{ ancestorTitles: ['a', 'b'], title: 'c', status: 'passed' }], name: '/testbed/x.js' }] };
    expect(asObject(jestJson.parse(JSON.stringify(report, null, 2)))).toEqual({ 'a b c': 'PASSED' });
  });

  it('reads a cut report as far as it goes, without throwing', () => {
    const report = jestReport('/testbed');
    const results: number[] = [];
    for (let cut = 0; cut <= report.length; cut += 7) {
      const parsed = jestJson.parse(`noise\n${report.slice(0, cut)}`);
      results.push(parsed.size);
      for (const [name, status] of parsed) expect(JEST_EXPECTED[name], name).toBe(status);
    }
    // Monotone enough: a longer prefix never reads less than the first file's tests once they are whole.
    expect(Math.max(...results)).toBe(Object.keys(JEST_EXPECTED).length);
    const firstFileEnd = report.indexOf('"status":"failed"}') + '"status":"failed"}'.length;
    expect(asObject(jestJson.parse(report.slice(0, firstFileEnd + 40)))).toEqual({
      'outer inner passes': 'PASSED',
      'outer fails {': 'FAILED',
    });
    // Cut inside the second file: its whole assertions are still read.
    const inSecond = report.indexOf('"title":"todo"') + 40;
    expect(asObject(jestJson.parse(report.slice(0, inSecond)))).toEqual({
      'outer inner passes': 'PASSED',
      'outer fails {': 'FAILED',
      'skipped "one"': 'SKIPPED',
      todo: 'SKIPPED',
    });
  });

  it('reads head and tail of a log cut in the middle without counting a test twice', () => {
    const report = jestReport('/testbed');
    const middle = report.indexOf('"title":"passes"') + 5;
    const tailFrom = report.indexOf('{"assertionResults":[{"ancestorTitles":[],"duration":1');
    const log = `${report.slice(0, middle)}\n[... 1000 bytes cut ...]\n${report.slice(tailFrom)}`;
    expect(asObject(jestJson.parse(log))).toEqual({
      'skipped "one"': 'SKIPPED',
      todo: 'SKIPPED',
      off: 'SKIPPED',
      '__tests__/c.test.js': 'ERROR',
    });
  });
});
