/**
 * The Node runners' log parsers without Docker: odd input (empty, random,
 * cut) never throws and yields what could be read, and the edge cases of
 * each format that the real-runner tests (test/harness/parsers-node.test.ts)
 * do not reach, on excerpts shaped like the runners' real output.
 */
import { describe, expect, it } from 'vitest';
import { createJestJsonParser, parser as jestJson } from '../../../src/harness/parsers/jest-json.ts';
import { parser as jest } from '../../../src/harness/parsers/jest.ts';
import { parser as mocha } from '../../../src/harness/parsers/mocha.ts';
import { parser as tap } from '../../../src/harness/parsers/tap.ts';
import { parser as tape } from '../../../src/harness/parsers/tape.ts';
import { createVitestJsonParser, parser as vitestJson } from '../../../src/harness/parsers/vitest-json.ts';
import { parser as vitest } from '../../../src/harness/parsers/vitest.ts';
import type { LogParser, TestResults, TestStatus } from '../../../src/harness/test-status.ts';

const PARSERS: LogParser[] = [tape, tap, mocha, jest, jestJson, vitest, vitestJson];
const asObject = (results: TestResults): Record<string, TestStatus> => Object.fromEntries(results);

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random text made of the pieces the parsers look for. */
function garbage(seed: number, pieces: number): string {
  const next = random(seed);
  const parts = [
    'ok 1 - a', 'not ok 2 b', '# Subtest: x', '    ', '\n', '---', '...', '{', '}', '[', ']', '"', '\\', '#',
    '# SKIP', '# TODO', '1..3', 'TAP version 13', '✓ ', '✕ ', '✔ ', '× ', '↓ ', '○ skipped ', '✎ todo ',
    '  1) ', '- ', 'PASS a.js', 'FAIL b.js', '  ● Test suite failed to run', '  console.log', 'stdout | x',
    '⎯⎯ Failed Suites 1 ⎯⎯', ' FAIL  c.js', ' ❯ d.ts (2 tests | 1 failed) 3ms', '  3 passing (2ms)',
    '{"numTotalTests":1,"testResults":[', '{"assertionResults":[', '{"ancestorTitles":["s"],"title":"t","status":"passed"}',
    '\u001b[31m', '\r', 'Bail out!', ' > ', 'é', '\u0000',
  ];
  let text = '';
  for (let i = 0; i < pieces; i += 1) text += parts[Math.floor(next() * parts.length)] ?? '';
  return text;
}

describe('odd input', () => {
  it.each(PARSERS.map((parser) => [parser.name, parser] as const))('%s: empty and random text give an empty map', (_name, parser) => {
    expect(parser.parse('').size).toBe(0);
    expect(parser.parse('\n\n   \n').size).toBe(0);
    expect(parser.parse('Lorem ipsum dolor sit amet.\nnpm ERR! missing script: test\n').size).toBe(0);
    expect(parser.parse('\u0000\u0001\u00ff\ud800 {{{{ [[[ """ \\').size).toBe(0);
  });

  it.each(PARSERS.map((parser) => [parser.name, parser] as const))('%s: never throws on random pieces of every format', (_name, parser) => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const text = garbage(seed, 5 + (seed % 60));
      expect(() => parser.parse(text), text).not.toThrow();
      expect(parser.parse(text)).toBeInstanceOf(Map);
    }
  });

  it('stays fast on a large log of unclosed braces', () => {
    const text = `${'{"a": ['.repeat(2000)}\n${'{"numTotalTests": 1, "x": '.repeat(500)}`;
    const started = Date.now();
    for (const parser of PARSERS) parser.parse(text);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

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

describe('vitest-json', () => {
  const report = JSON.stringify(
    {
      numTotalTestSuites: 3,
      numTotalTests: 3,
      testResults: [
        { assertionResults: [], status: 'failed', message: 'Failed to load', name: '/repo/test/broken.test.js' },
        {
          assertionResults: [
            { ancestorTitles: ['s', 'n'], fullName: 's n t', status: 'passed', title: 't', meta: {} },
            { ancestorTitles: [], fullName: 'x ', status: 'skipped', title: 'x ', meta: {} },
            { ancestorTitles: [], fullName: 'y', status: 'todo', title: 'y', meta: {} },
            { ancestorTitles: ['#s'], fullName: '#s y\\z', status: 'failed', title: 'y\\z', meta: {} },
          ],
          status: 'passed',
          name: '/repo/test/a.test.ts',
        },
      ],
    },
    null,
    2,
  );
  const EXPECTED = { 'test/broken.test.js': 'ERROR', 'test/a.test.ts > s > n > t': 'PASSED', 'test/a.test.ts > x': 'SKIPPED', 'test/a.test.ts > y': 'SKIPPED', 'test/a.test.ts > \\#s > y\\\\z': 'FAILED' };

  it('names tests `file > suites > title` as tap-flat spells them, relative to the rootDir option or to the banner of another reporter', () => {
    expect(asObject(createVitestJsonParser({ rootDir: '/repo' }).parse(report))).toEqual(EXPECTED);
    expect(asObject(vitestJson.parse(`\n RUN  v3.2.4 /repo\n\n${report}`))).toEqual(EXPECTED);
    expect([...vitestJson.parse(report).keys()][0]).toBe('/repo/test/broken.test.js');
  });

  it('reads the whole entries of a cut report', () => {
    const cut = report.slice(0, report.indexOf('"name": "/repo/test/a.test.ts"') - 3);
    expect(asObject(createVitestJsonParser({ rootDir: '/repo' }).parse(cut))).toEqual({ 'test/broken.test.js': 'ERROR' });
  });
});

describe('tape', () => {
  it('does not read the plan and summary as tests, even when a run repeats them, and starts over at TAP version', () => {
    const log = [
      'TAP version 13', '# a', 'ok 1 fine', '# b', 'not ok 2 bad', '  ---', '    operator: fail', '    not ok inside yaml', '  ...',
      '', '1..2', '# tests 2', '# pass  1', '# fail  1', '',
      'TAP version 13', '# a', 'ok 1 fine', '# c', 'not ok 2 later # SKIP', 'not ok 3 soon # todo', '', '1..3', '# tests 3', '# pass  3', '', '# ok',
    ].join('\n');
    expect(asObject(tape.parse(log))).toEqual({ a: 'PASSED', b: 'FAILED', 'a (#2)': 'PASSED', c: 'PASSED' });
  });

  it('keeps a `# tests` heading that comes before any plan (a test named so)', () => {
    expect(asObject(tape.parse('TAP version 13\n# tests 2\nok 1 x\n\n1..1\n# tests 1\n# pass  1\n\n# ok\n'))).toEqual({ 'tests 2': 'PASSED' });
  });

  it('strips colours and carriage returns', () => {
    expect(asObject(tape.parse('\u001b[32m# coloured\u001b[0m\r\n\u001b[31mnot ok 1 red\u001b[0m\r\n'))).toEqual({ coloured: 'FAILED' });
  });
});

describe('tap', () => {
  it('reads node-tap: files and tests as subtests, assertions inside a leaf not counted, `# time=` dropped', () => {
    const log = [
      'TAP version 14',
      '# Subtest: test/a.js',
      '    # Subtest: adds',
      '        ok 1 - should be equal',
      '        not ok 2 - should be equal',
      '        1..2',
      '    not ok 1 - adds # time=3.1ms',
      '    # Subtest: skips',
      '        1..0',
      '    ok 2 - skips # SKIP not now',
      '    1..2',
      'not ok 1 - test/a.js # time=250ms',
      '1..1',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({ 'test/a.js > adds': 'FAILED', 'test/a.js > skips': 'SKIPPED' });
  });

  it('stops at Bail out! and ignores YAML blocks and unclosed subtests', () => {
    const log = [
      '# Subtest: crashed',
      '    # Subtest: never closed',
      '# Subtest: fine',
      'ok 1 - fine',
      '  ---',
      '  message: |',
      '    ok 5 - not a test',
      '    # Subtest: not one either',
      '  ...',
      '# Subtest: after',
      'not ok 2 - after # TODO later',
      'Bail out! Something broke',
      '# Subtest: never read',
      'ok 3 - never read',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({ fine: 'PASSED', after: 'SKIPPED' });
  });

  it('reads flat TAP: ` - ` stripped, directives split at an unescaped `#`, escapes kept, deeper lines ignored', () => {
    const log = [
      'TAP version 13',
      'ok 1 - plain',
      'ok 2 - issue #12 fixed',
      'ok 3 - escaped \\# hash \\\\ backslash # time=1ms',
      'not ok 4 mocha style title',
      '  ok 9 - deeper than the first test line: not a test',
      'ok 5 - pending # SKIP -',
      'not ok 6 - later # todo not yet',
      'ok 7 - plain',
      '1..7',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({
      plain: 'PASSED',
      'issue #12 fixed': 'PASSED',
      'escaped \\# hash \\\\ backslash': 'PASSED',
      'mocha style title': 'FAILED',
      pending: 'SKIPPED',
      later: 'SKIPPED',
      'plain (#2)': 'PASSED',
    });
  });
});

describe('mocha', () => {
  it('names failures from the failure list when indented console output confused the suite stack', () => {
    const log = [
      '',
      '  api',
      '    get',
      '      ✔ reads',
      '    a log line a test printed with indentation',
      '      1) writes',
      '    - later',
      '  ✓ root (5ms)',
      '',
      '  2 passing (9ms)',
      '  1 pending',
      '  1 failing',
      '',
      '  1) api',
      '       get',
      '         writes:',
      '     Error: boom',
      '      at Context.<anonymous> (test.js:1:1)',
      '',
    ].join('\n');
    expect(asObject(mocha.parse(log))).toEqual({
      'api get reads': 'PASSED',
      'api get writes': 'FAILED',
      // At the indentation of `get`'s siblings: a test of `api`.
      'api later': 'SKIPPED',
      root: 'PASSED',
    });
  });

  it('records a failing hook as a failure of the suite', () => {
    const log = ['  db', '    1) "before all" hook in "db"', '', '  0 passing (3ms)', '  1 failing', '', '  1) db', '       "before all" hook in "db":', '     Error: no db', ''].join('\n');
    expect(asObject(mocha.parse(log))).toEqual({ 'db "before all" hook in "db"': 'FAILED' });
  });
});

describe('jest', () => {
  it('reads a coloured verbose tree and does not read the summary of all failing tests', () => {
    const log = [
      '\u001b[1m\u001b[31mFAIL\u001b[39m\u001b[22m src/a.test.js (5.2 s)',
      '  suite',
      '    \u001b[32m✓\u001b[39m passes \u001b[2m(3 ms)\u001b[22m',
      '    \u001b[31m✕\u001b[39m fails \u001b[2m(1 ms)\u001b[22m',
      '',
      '\u001b[1m\u001b[31m  \u001b[1m● \u001b[22m\u001b[1msuite › fails\u001b[39m\u001b[22m',
      '',
      '    > 3 |   test("✓ looks like a test", () => {});',
      '      ✓ not a test either',
      'PASS src/b.test.js',
      '  ✓ top',
      '',
      'Summary of all failing tests',
      'FAIL src/a.test.js',
      '  ● suite › fails',
      'FAIL src/c.test.js',
      '  ● Test suite failed to run',
      '',
      'Test Suites: 1 failed, 1 passed, 2 total',
    ].join('\n');
    expect(asObject(jest.parse(log))).toEqual({ 'suite passes': 'PASSED', 'suite fails': 'FAILED', top: 'PASSED' });
  });
});

describe('vitest', () => {
  it('reads the default reporter: tests under a file line get the file, a passing file lists none', () => {
    const log = [
      ' RUN  v3.2.4 /testbed',
      '',
      ' ✓ test/ok.test.ts (4 tests) 3ms',
      ' ❯ test/a.test.ts (3 tests | 1 failed | 1 skipped) 12ms',
      '   ✓ suite > passes 1ms',
      '   × suite > fails 5ms',
      '     → expected 1 to be 2',
      '   ↓ suite > waits 5ms',
      'stderr | test/a.test.ts > suite > passes',
      ' × console output',
      '',
      '⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯',
      '',
      ' FAIL  test/a.test.ts > suite > fails',
      '   ✓ in a code frame',
      '⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯',
      '',
      ' Test Files  1 failed | 1 passed (2)',
    ].join('\n');
    expect(asObject(vitest.parse(log))).toEqual({
      'test/a.test.ts > suite > passes': 'PASSED',
      'test/a.test.ts > suite > fails': 'FAILED',
      // A skipped test has no duration: the title is kept whole.
      'test/a.test.ts > suite > waits 5ms': 'SKIPPED',
    });
  });
});
