/**
 * The pytest and JUnit parsers on odd input, the XML reader's corners, the
 * registry, and `auto`'s choice of parser. The parsers' names and statuses on
 * real runner output are shown in test/harness/parsers-python.test.ts; the
 * snippets here only feed the sniffing and the XML reader.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { chooseParser, parser as auto } from '../../../src/harness/parsers/auto.ts';
import { PARSER_NAMES, loadParser, parseTestLog } from '../../../src/harness/parsers/index.ts';
import { decodeEntities, findSuiteBlocks, parser as junit, pytestNodeId } from '../../../src/harness/parsers/junit.ts';
import { parser as pytest } from '../../../src/harness/parsers/pytest.ts';
import type { TestResults, TestStatus } from '../../../src/harness/test-status.ts';

const asObject = (results: TestResults): Record<string, TestStatus> => Object.fromEntries(results);

const GARBAGE = [
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

describe('the pytest parser on odd input', () => {
  it('never throws, and finds no test in garbage', () => {
    for (const input of GARBAGE) {
      expect(() => pytest.parse(input)).not.toThrow();
      expect(pytest.parse(input).size).toBe(0);
    }
  });

  it('does not take captured output outside the summary for results, once a summary exists', () => {
    const log = [
      '---- Captured stdout call ----',
      'PASSED tests/test_fake.py::test_printed',
      '=========================== short test summary info ============================',
      'PASSED tests/test_a.py::test_real',
      '============================== 1 passed in 0.01s ===============================',
    ].join('\n');
    expect(asObject(pytest.parse(log))).toEqual({ 'tests/test_a.py::test_real': 'PASSED' });
  });

  it('strips ANSI colours before reading', () => {
    const log = '\u001b[32mPASSED\u001b[0m tests/test_a.py::test_x\n';
    expect(asObject(pytest.parse(log))).toEqual({ 'tests/test_a.py::test_x': 'PASSED' });
  });
});

describe('the JUnit parser and its XML reader', () => {
  it('never throws on garbage', () => {
    for (const input of GARBAGE) expect(() => junit.parse(input)).not.toThrow();
    expect(junit.parse('no xml here').size).toBe(0);
  });

  it('decodes the five entities and numeric references, leaving unknown ones', () => {
    expect(decodeEntities('&amp;&lt;&gt;&quot;&apos; &#65;&#x42;&#X43; &nbsp; &#xZZ; &')).toBe(`&<>"' ABC &nbsp; &#xZZ; &`);
    expect(decodeEntities('&amp;lt;')).toBe('&lt;');
  });

  it('reads attributes with entities and either quote, skips CDATA and comments, and closes self-closing tags', () => {
    const log = [
      'some build output <not xml>',
      '<?xml version="1.0"?>',
      '<testsuites>',
      "  <testsuite name='s &amp; t' tests='4'>",
      '    <!-- <testcase name="in a comment"/> -->',
      '    <testcase classname="a &lt;b&gt;" name="c &quot;d&quot; &#x2713;"/>',
      '    <testcase classname="k" name="fails"><failure><![CDATA[ <testcase name="in cdata"/> ]]></failure></testcase>',
      '    <testcase classname="k" name="errs"><error message="x &#10; y"/></testcase>',
      '    <testcase classname="k" name="skips"><skipped/></testcase>',
      '  </testsuite>',
      '</testsuites>',
      'trailing text',
    ].join('\n');
    expect(asObject(junit.parse(log))).toEqual({
      'a <b> > c "d" ✓': 'PASSED',
      'k > fails': 'FAILED',
      'k > errs': 'ERROR',
      'k > skips': 'SKIPPED',
    });
  });

  it("reads node:test's names the same whether its Node escaped `\"` once or twice", () => {
    // The shape of Node 24.22.3's output for test/fixtures/runners/node-junit, cut to one test.
    const nodeLog = (quote: string) => {
      const suite = `math &amp; &lt;xml> ${quote}quotes${quote}`;
      return [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<testsuites>',
        `\t<testsuite name="${suite}" time="0.002279" disabled="0" errors="0" tests="1" failures="0" skipped="0" timestamp="2026-12-04T14:05:33.271Z" hostname="5db25d49fac9">`,
        `\t\t<testcase name="adds" time="0.001043" classname="${suite}" file="/src/test/outcomes.test.js"/>`,
        '\t</testsuite>',
        '\t<!-- tests 1 -->',
        '\t<!-- duration_ms 117.990013 -->',
        '</testsuites>',
      ].join('\n');
    };
    const expected = { 'math & <xml> "quotes" > adds': 'PASSED' };
    expect(asObject(junit.parse(nodeLog('&amp;quot;')))).toEqual(expected);
    expect(asObject(junit.parse(nodeLog('&quot;')))).toEqual(expected);
  });

  it('reads every block of a log, a bare <testsuite> too, and keeps what a cut log holds', () => {
    const log = [
      '<testsuite name="one"><testcase classname="one" name="a"/></testsuite>',
      'between',
      '<testsuite name="two"><testcase classname="two" name="a"/><testcase classname="two" name="b"><failure/>',
    ].join('\n');
    expect(findSuiteBlocks(log)).toHaveLength(2);
    // Same name in two suites: the corpus's ` (#2)` rule.
    expect(asObject(junit.parse(log))).toEqual({ a: 'PASSED', 'a (#2)': 'PASSED', b: 'FAILED' });
  });

  it('names a generic testcase `classname > name`, or `name` when the classname adds nothing', () => {
    const log = [
      '<testsuite name="Mocha Tests">',
      '<testcase classname="Array #indexOf()" name="returns -1"/>',
      '<testcase classname="" name="no class"/>',
      '<testcase classname="Mocha Tests" name="suite-level"/>',
      '<testcase classname="jest title" name="jest title"/>',
      '</testsuite>',
    ].join('');
    expect([...junit.parse(log).keys()]).toEqual(['Array #indexOf() > returns -1', 'no class', 'suite-level', 'jest title']);
  });

  it('rebuilds pytest node ids from classname, name and file', () => {
    expect(pytestNodeId('tests.test_x', 'test_a')).toBe('tests/test_x.py::test_a');
    expect(pytestNodeId('tests.test_x.TestC.TestD', 'test_m[a.b - c]')).toBe('tests/test_x.py::TestC::TestD::test_m[a.b - c]');
    expect(pytestNodeId('test_top', 'test_a')).toBe('test_top.py::test_a');
    expect(pytestNodeId('pkg.tests.test_x.myCase', 'test_a', 'pkg/tests/test_x.py')).toBe('pkg/tests/test_x.py::myCase::test_a');
    expect(pytestNodeId('', 'tests.test_broken')).toBe('tests/test_broken.py');
  });
});

describe('the parser registry', () => {
  it('loads every parser by its name', async () => {
    for (const name of PARSER_NAMES) expect((await loadParser(name)).name).toBe(name);
  });

  it('refuses an unknown name, listing the known ones', async () => {
    const error = await loadParser('nose').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('"nose"');
    for (const name of PARSER_NAMES) expect((error as Error).message).toContain(name);
    await expect(loadParser('../errors')).rejects.toBeInstanceOf(ConfigError);
    await expect(parseTestLog('nose', '')).rejects.toBeInstanceOf(ConfigError);
  });

  it('resolves auto to the parser it chose, and auto alone never throws', async () => {
    const log = 'PASSED tests/test_a.py::test_x\n';
    const parsed = await parseTestLog('auto', log, 'python -m pytest -rA');
    expect(parsed.parser).toBe('pytest');
    expect(asObject(parsed.results)).toEqual({ 'tests/test_a.py::test_x': 'PASSED' });
    expect((await parseTestLog('pytest', log)).parser).toBe('pytest');
    for (const input of GARBAGE) expect(() => auto.parse(input)).not.toThrow();
  });
});

// Small synthetic snippets: only the format's markers matter here.
const SNIPPETS = {
  pytestSummary: '============ short test summary info ============\nPASSED tests/test_a.py::test_x\n',
  pytestFailuresOnly: '============ test session starts ============\n==== short test summary info ====\nFAILED tests/test_a.py::test_y - boom\n',
  pytestVerbose: 'tests/test_a.py::test_x PASSED                 [ 50%]\n',
  junit: '<?xml version="1.0"?>\n<testsuites><testsuite name="x"><testcase name="a"/></testsuite></testsuites>\n',
  jestJson:
    'npm output\n{"numFailedTestSuites":0,"numRuntimeErrorTestSuites":0,"numTotalTests":1,"testResults":[{"assertionResults":[{"fullName":"a {b}","status":"passed","title":"\\"}"}]}],"wasInterrupted":false}\ntrailer }\n',
  vitestJson: '{"numTotalTestSuites":1,"numTotalTests":1,"success":true,"testResults":[{"assertionResults":[{"fullName":"a","status":"passed","meta":{}}]}]}',
  plainJson: '{"numTotalTests":1,"testResults":[]}',
  nodeTap: 'TAP version 13\n# Subtest: a\nok 1 - a\n  ---\n  duration_ms: 1\n  ...\n1..1\n# tests 1\n# pass 1\n',
  tape: 'TAP version 13\n# parse()\nok 1 should be equal\nok 2 should be equal\n\n1..2\n# tests 2\n# pass  2\n\n# ok\n',
  tapeNoTrailer: '# first test\nok 1 should be truthy\n# second test\nnot ok 2 should be equal\n',
  mochaTap: '1..2\nok 1 suite does a\nnot ok 2 suite does b\n  boom\n# tests 2\n# pass 1\n# fail 1\n',
  vitestTapFlat: 'TAP version 13\n1..2\nok 1 - a.test.ts > s > t # time=1.00ms\nok 2 - a.test.ts > s > u # time=0.50ms\n',
  jestVerbose: 'PASS src/a.test.js\n  suite\n    ✓ works (3 ms)\n\nTest Suites: 1 passed, 1 total\nTests:       1 passed, 1 total\n',
  vitestVerbose: ' ✓ src/a.test.ts > suite > works 1ms\n\n Test Files  1 passed (1)\n      Tests  1 passed (1)\n',
  mochaSpec: '  suite\n    ✔ works\n    1) breaks\n\n  1 passing (5ms)\n  1 failing\n',
};

describe('chooseParser', () => {
  it.each([
    // The output's format decides.
    [undefined, SNIPPETS.pytestSummary, 'pytest'],
    ['npm test', SNIPPETS.pytestVerbose, 'pytest'],
    [undefined, SNIPPETS.pytestSummary + SNIPPETS.junit, 'pytest'],
    ['pytest --junitxml=r.xml; cat r.xml', SNIPPETS.pytestFailuresOnly + SNIPPETS.junit, 'junit'],
    [undefined, SNIPPETS.junit, 'junit'],
    ['npx jest', SNIPPETS.junit, 'junit'],
    [undefined, SNIPPETS.jestJson, 'jest-json'],
    ['npx vitest run --reporter=json', SNIPPETS.jestJson, 'jest-json'],
    [undefined, SNIPPETS.vitestJson, 'vitest-json'],
    ['npx vitest run --reporter json', SNIPPETS.plainJson, 'vitest-json'],
    ['npx jest --json', SNIPPETS.plainJson, 'jest-json'],
    [undefined, SNIPPETS.nodeTap, 'tap'],
    ['npm test', SNIPPETS.tape, 'tape'],
    [undefined, SNIPPETS.tapeNoTrailer, 'tape'],
    ['mocha --reporter tap', SNIPPETS.mochaTap, 'tap'],
    [undefined, SNIPPETS.mochaTap, 'tap'],
    ['tape test/*.js', SNIPPETS.vitestTapFlat, 'tape'],
    ['vitest run --reporter=tap-flat', SNIPPETS.vitestTapFlat, 'tap'],
    [undefined, SNIPPETS.jestVerbose, 'jest'],
    ['npm test', SNIPPETS.vitestVerbose, 'vitest'],
    [undefined, SNIPPETS.mochaSpec, 'mocha'],
    // No format in the output: the command decides.
    ['python -m pytest -rA', '', 'pytest'],
    ['py.test tests', 'Traceback (most recent call last):', 'pytest'],
    ['npx jest --ci', '', 'jest'],
    ['jest --json --outputFile=/dev/stdout', 'crashed', 'jest-json'],
    ['vitest run', '', 'vitest'],
    ['vitest run --reporter=json', '', 'vitest-json'],
    ['vitest run --reporter=tap-flat', '', 'tap'],
    ['vitest run --reporter=junit', '', 'junit'],
    ['mocha', '', 'mocha'],
    ['mocha -R tap test/', '', 'tap'],
    ['mocha --reporter=xunit', '', 'junit'],
    ['tape test/*.js', '', 'tape'],
    ['node --test', '', 'tap'],
    ['node --test --test-reporter=junit', '', 'junit'],
    // Nothing to go on.
    ['npm test', '', 'tap'],
    [undefined, '', 'tap'],
  ] as const)('command %j with %j → %s', (command, output, expected) => {
    expect(chooseParser(command, output)).toBe(expected);
  });
});
