/**
 * Every runner's real output, as recorded in test/fixtures/runner-output/
 * (its README says which version printed it, with which command), read by
 * the parser detection names for that runner, and by `auto`. The maps are
 * what the fixture projects in test/fixtures/runners/ imply; the live tests
 * (auto-node.docker.test.ts, auto-python.docker.test.ts) check the same on
 * fresh output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseParser } from '../../../src/harness/parsers/auto.ts';
import { parseTestLog } from '../../../src/harness/parsers/index.ts';
import type { TestStatus } from '../../../src/harness/test-status.ts';
import { asObject } from '../../helpers/parser-input.ts';

const DIR = path.join(import.meta.dirname, '..', '..', 'fixtures', 'runner-output');
const recorded = (file: string): string => fs.readFileSync(path.join(DIR, file), 'utf8');

interface Case {
  file: string;
  parser: string;
  /** What the output must show of the version that printed it. */
  version: RegExp;
  expected: Record<string, TestStatus>;
}

const VITEST = (name: string): string => `test/first.test.ts > ${name}`;
const PYTEST = (name: string): string => `tests/test_outcomes.py::${name}`;
const UNITTEST = (name: string): string => `test_outcomes.TestOutcomes.${name}`;

const CASES: Case[] = [
  {
    file: 'jest-verbose.txt',
    parser: 'jest',
    version: /^npm notice run jest --ci --verbose$/m,
    expected: {
      'root level passes': 'PASSED',
      'unicode ✓ café > #1': 'PASSED',
      'outer passes shallow': 'PASSED',
      'outer skipped test': 'SKIPPED',
      'outer todo test': 'SKIPPED',
      'outer inner passes deep': 'PASSED',
      'outer inner fails deep': 'FAILED',
      'dup same name': 'PASSED',
      'dup same name (#2)': 'FAILED',
      'second file logs and passes': 'PASSED',
      'second file objects differ': 'FAILED',
      '__tests__/broken.test.js': 'ERROR',
    },
  },
  {
    file: 'vitest-verbose.txt',
    parser: 'vitest',
    version: /RUN {2}v3\.2\.7 /,
    expected: {
      [VITEST('outer > inner > passes deep')]: 'PASSED',
      [VITEST('outer > inner > fails deep')]: 'FAILED',
      [VITEST('outer > passes shallow')]: 'PASSED',
      [VITEST('outer > skipped test')]: 'SKIPPED',
      [VITEST('outer > todo test')]: 'SKIPPED',
      [VITEST('root level passes')]: 'PASSED',
      [VITEST('unicode ✓ café > \\#1')]: 'PASSED',
      [VITEST('back\\\\slash')]: 'PASSED',
      [VITEST('dup > same name')]: 'PASSED',
      [VITEST('dup > same name (#2)')]: 'FAILED',
      'test/second.test.js > second file > logs and passes': 'PASSED',
      'test/second.test.js > second file > objects differ': 'FAILED',
      'test/broken.test.js': 'ERROR',
    },
  },
  {
    file: 'mocha-spec.txt',
    parser: 'mocha',
    version: /^npm notice run mocha test\/\*\.spec\.js --reporter spec$/m,
    expected: {
      'root level passes': 'PASSED',
      'unicode ✓ café > #1': 'PASSED',
      'outer passes shallow': 'PASSED',
      'outer skipped test': 'SKIPPED',
      'outer pending without a body': 'SKIPPED',
      'outer inner passes deep': 'PASSED',
      'outer inner fails deep': 'FAILED',
      'dup same name': 'PASSED',
      'dup same name (#2)': 'FAILED',
      'second file slow test passes': 'PASSED',
      'second file objects differ': 'FAILED',
    },
  },
  {
    file: 'tape-tap.txt',
    parser: 'tape',
    version: /^TAP version 13$/m,
    expected: {
      'adds numbers': 'PASSED',
      'fails on purpose': 'FAILED',
      'skipped test': 'SKIPPED',
      'todo test': 'SKIPPED',
      'outer suite': 'PASSED',
      'inner suite': 'PASSED',
      'deepest test': 'PASSED',
      'unicode ✓ café > #1': 'PASSED',
      'same name': 'PASSED',
      'same name (#2)': 'FAILED',
      'skipped and todo assertions': 'PASSED',
      'adds numbers (#2)': 'PASSED',
      'only in the second file': 'FAILED',
    },
  },
  {
    file: 'node-test-tap.txt',
    parser: 'tap',
    version: /^npm notice run node --test --test-reporter=tap test\/\*\.test\.js$/m,
    expected: {
      'top passes': 'PASSED',
      'top fails': 'FAILED',
      'skipped test': 'SKIPPED',
      'todo failing': 'SKIPPED',
      'todo passing': 'SKIPPED',
      'outer > inner > leaf passes': 'PASSED',
      'outer > inner > leaf fails': 'FAILED',
      'outer > direct leaf': 'PASSED',
      'tree > branch > twig passes': 'PASSED',
      'tree > branch > twig skipped': 'SKIPPED',
      'tree > sibling leaf': 'PASSED',
      'unicode ✓ café > \\#1': 'PASSED',
      'same name': 'PASSED',
      'same name (#2)': 'FAILED',
      'top passes (#2)': 'PASSED',
      'only in the second file': 'FAILED',
    },
  },
  {
    file: 'ava-tap.txt',
    parser: 'tap',
    version: /^npm notice run ava --tap$/m,
    expected: {
      // A file that throws while loading: its error, then its exit, as two failing entries.
      'Error: cannot load this file': 'FAILED',
      'test/broken.test.js exited with a non-zero exit code: 1': 'FAILED',
      'first › skipped test': 'SKIPPED',
      'first › todo test': 'SKIPPED',
      'first › root level passes': 'PASSED',
      'first › fails on purpose': 'FAILED',
      // test.failing that fails as expected.
      'first › known bug, failing as expected': 'PASSED',
      'first › unicode ✓ café > #1': 'PASSED',
      // Its `t.log()` line, `#   ok 99 - …`, is a comment.
      'first › logs and passes': 'PASSED',
      // The same title in another file: the file prefix tells them apart.
      'second › root level passes': 'PASSED',
      'second › objects differ': 'FAILED',
    },
  },
  {
    file: 'node-tap-tap.txt',
    parser: 'tap',
    // tap 18 and later write TAP 14 and take --disable-coverage.
    version: /^npm notice run tap --reporter=tap --disable-coverage\nTAP version 14$/m,
    expected: {
      'test/first.test.js > outer > inner > passes deep': 'PASSED',
      'test/first.test.js > outer > inner > fails deep': 'FAILED',
      // Two assertions, one test.
      'test/first.test.js > outer > passes shallow': 'PASSED',
      // No `# Subtest:` for these: node-tap does not run them.
      'test/first.test.js > skipped test': 'SKIPPED',
      'test/first.test.js > todo test': 'SKIPPED',
      'test/first.test.js > unicode ✓ café > \\#1': 'PASSED',
      'test/first.test.js > same name': 'PASSED',
      'test/first.test.js > same name (#2)': 'FAILED',
      // Its console.log `ok 99 - …` is in the TAP stream, as an assertion.
      'test/first.test.js > logs and passes': 'PASSED',
      // Bare assertions: the file is the test.
      'test/second.test.js': 'PASSED',
      'test/third.test.js > outer > passes deep': 'FAILED',
    },
  },
  {
    file: 'node-tap-16-tap.txt',
    parser: 'tap',
    version: /^npm notice run 'tap' --reporter=tap --no-coverage\nTAP version 13$/m,
    expected: {
      // tap 16 reports files as they finish.
      'test/second.test.js': 'PASSED',
      'test/third.test.js > outer > passes deep': 'FAILED',
      'test/first.test.js > outer > inner > passes deep': 'PASSED',
      'test/first.test.js > outer > inner > fails deep': 'FAILED',
      'test/first.test.js > outer > passes shallow': 'PASSED',
      'test/first.test.js > skipped test': 'SKIPPED',
      'test/first.test.js > todo test': 'SKIPPED',
      'test/first.test.js > unicode ✓ café > \\#1': 'PASSED',
      'test/first.test.js > same name': 'PASSED',
      'test/first.test.js > same name (#2)': 'FAILED',
      'test/first.test.js > logs and passes': 'PASSED',
    },
  },
  {
    file: 'uvu-default.txt',
    parser: 'uvu',
    version: /^npm notice run uvu tests$/m,
    expected: {
      // The unnamed default suite: 2 of 2.
      'first.test.js': 'PASSED',
      // 1 of 2 (its skipped test is not counted).
      'first.test.js > math': 'FAILED',
      // Its console output lands inside the row.
      'first.test.js > unicode ✓ café > #1': 'PASSED',
      'second.test.js > math': 'FAILED',
      // 0 of 0: every test skipped.
      'second.test.js > only skipped': 'SKIPPED',
    },
  },
  {
    file: 'pytest-rA.txt',
    parser: 'pytest',
    version: /pytest-7\.2\.1/,
    expected: {
      [PYTEST('test_passes')]: 'PASSED',
      [PYTEST('test_teardown_error')]: 'ERROR',
      [PYTEST('test_unicode_café_ß')]: 'PASSED',
      [PYTEST('test_param_ids[a - b]')]: 'PASSED',
      [PYTEST('test_param_ids[with space]')]: 'PASSED',
      [PYTEST('test_param_ids[[brackets]]')]: 'PASSED',
      [PYTEST('test_param_ids[\\xfcn\\xef]')]: 'PASSED',
      [PYTEST('test_param_values[1-1]')]: 'PASSED',
      [PYTEST('test_param_values[s p-s p]')]: 'PASSED',
      [PYTEST('TestGroup::test_method')]: 'PASSED',
      [PYTEST('TestGroup::TestNested::test_deep')]: 'PASSED',
      [PYTEST('TestGroup::test_method_param[0]')]: 'PASSED',
      'tests/test_same_name.py::test_shared_name': 'PASSED',
      [PYTEST('test_xfail')]: 'XFAIL',
      [PYTEST('test_setup_error')]: 'ERROR',
      [PYTEST('test_fails')]: 'FAILED',
      [PYTEST('test_xpass_strict')]: 'FAILED',
      [PYTEST('test_param_ids[x]y]')]: 'FAILED',
      [PYTEST('test_param_values[2-3]')]: 'FAILED',
      [PYTEST('TestGroup::test_method_fails')]: 'FAILED',
      [PYTEST('TestGroup::test_method_param[1]')]: 'FAILED',
      'tests/sub/test_same_name_too.py::test_shared_name': 'FAILED',
    },
  },
  {
    file: 'unittest-verbose.txt',
    parser: 'unittest',
    version: /\/usr\/lib\/python3\.11\/unittest\//,
    expected: {
      // A module that cannot be imported.
      'unittest.loader._FailedTest.test_broken': 'ERROR',
      'test_other.TestSameName.test_passes': 'FAILED',
      [UNITTEST('test_errors')]: 'ERROR',
      [UNITTEST('test_expected_failure')]: 'XFAIL',
      [UNITTEST('test_fails')]: 'FAILED',
      [UNITTEST('test_passes')]: 'PASSED',
      [UNITTEST('test_prints')]: 'PASSED',
      [UNITTEST('test_skipped')]: 'SKIPPED',
      // Its failing subtests' lines make it fail; they are no tests of their own.
      [UNITTEST('test_subtests_fail')]: 'FAILED',
      [UNITTEST('test_subtests_pass')]: 'PASSED',
      [UNITTEST('test_unexpected_success')]: 'FAILED',
      [UNITTEST('test_unicode_café_ß')]: 'PASSED',
      // Its docstring's first line stands between the name and the outcome.
      [UNITTEST('test_with_docstring')]: 'PASSED',
      'test_outcomes.TestSameName.test_passes': 'PASSED',
      'test_outcomes.TestSetUpClassFails.setUpClass': 'ERROR',
      // The limit of reading text: test_prints printed this line, and stdout came out after the summary.
      'tests.Fake.test_fake': 'PASSED',
    },
  },
];

describe('recorded runner output', () => {
  it.each(CASES.map((entry) => [entry.file, entry] as const))('%s: the detected parser names every test with its outcome', async (_file, entry) => {
    const log = recorded(entry.file);
    expect(log).toMatch(entry.version);
    const { parser, results } = await parseTestLog(entry.parser, log);
    expect(parser).toBe(entry.parser);
    expect(asObject(results)).toEqual(entry.expected);
    expect(results.size).toBe(Object.keys(entry.expected).length);
  });

  it.each(CASES.map((entry) => [entry.file, entry] as const))('%s: auto picks that parser from the output alone', (_file, entry) => {
    expect(chooseParser(undefined, recorded(entry.file))).toBe(entry.parser);
  });

  it('keeps every recorded file listed in the README, with the versions the tests pin', () => {
    const readme = recorded('README.md');
    const files = fs.readdirSync(DIR).filter((file) => file.endsWith('.txt')).sort();
    expect(files).toEqual(CASES.map((entry) => entry.file).sort());
    for (const file of files) expect(readme).toContain(`\`${file}\``);
  });
});
