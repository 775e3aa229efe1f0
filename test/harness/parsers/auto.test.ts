/**
 * `auto`'s choice of parser, from the command and the output. Which parser
 * reads real runner output is shown in test/harness/parsers/auto-node.docker.test.ts
 * and auto-python.docker.test.ts; the snippets here only feed the sniffing.
 */
import { describe, expect, it } from 'vitest';
import { chooseParser } from '../../../src/harness/parsers/auto.ts';

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
  unittestVerbose: 'test_a (pkg.mod.TestX.test_a) ... ok\ntest_b (pkg.mod.TestX) ... skipped \'no\'\n',
  unittestSummary: 'Traceback (most recent call last):\n----\nRan 0 tests in 0.000s\n\nOK\n',
  uvu: 'a.test.js\n• •   (2 / 2)\n\n  Total:     2\n  Passed:    2\n  Skipped:   0\n  Duration:  0.40ms\n',
  // ava's TAP with a `t.log()` line (`#   message`) before a result: no tape heading.
  avaTap: 'TAP version 13\nok 1 - a › logs\n#   some log\nnot ok 2 - a › fails\n\n1..2\n# tests 2\n# pass 1\n# fail 1\n',
  sections: 'npm notice\n>>>>> Section jest packages/a\nPASS test/x.test.js\n>>>>> Section tap packages/b\nok 1 - y\n',
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
    [undefined, SNIPPETS.unittestVerbose, 'unittest'],
    ['python -m pytest', SNIPPETS.unittestSummary, 'unittest'],
    [undefined, SNIPPETS.uvu, 'uvu'],
    [undefined, SNIPPETS.avaTap, 'tap'],
    ['npm test', SNIPPETS.sections, 'workspaces'],
    [undefined, SNIPPETS.sections + SNIPPETS.pytestSummary, 'workspaces'],
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
    ['python -m unittest discover -v -s tests', 'Traceback', 'unittest'],
    ['uvu tests', '', 'uvu'],
    ['npx ava --tap', '', 'tap'],
    ['tap --reporter=tap', '', 'tap'],
    // Nothing to go on.
    ['npm test', '', 'tap'],
    [undefined, '', 'tap'],
  ] as const)('command %j with %j → %s', (command, output, expected) => {
    expect(chooseParser(command, output)).toBe(expected);
  });
});
