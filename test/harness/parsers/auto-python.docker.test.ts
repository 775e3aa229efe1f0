/**
 * The pytest, unittest and JUnit parsers on real runner output: pytest 7
 * (Debian's) on test/fixtures/runners/pytest, in its text (`-rA`, `-rA -v`)
 * and JUnit (`--junitxml`, both junit families) forms; unittest (`-v`) on
 * test/fixtures/runners/unittest, as detection runs it; and node:test's built-in JUnit
 * reporter on test/fixtures/runners/node-junit. Each run is compared with the
 * exact map of names and statuses, and the parsers of one run with each other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../../src/config/repo-config.ts';
import { chooseParser } from '../../../src/harness/parsers/auto.ts';
import { loadParser, parseTestLog } from '../../../src/harness/parsers/index.ts';
import { parser as junit } from '../../../src/harness/parsers/junit.ts';
import { parser as pytest } from '../../../src/harness/parsers/pytest.ts';
import type { TestResults, TestStatus } from '../../../src/harness/test-status.ts';
import type { Environment, Instance } from '../../../src/sandbox/sandbox.ts';
import type { SourceRef } from '../../../src/sandbox/source.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/git-fixture.ts';
import { testSandbox } from '../../helpers/sandbox.ts';

const sandbox = testSandbox();
const repos: FixtureRepo[] = [];

/** test/fixtures/runners/<name> as a one-commit git repository. */
function runnerRepo(name: string): SourceRef {
  const repo = fixtureRepo(`runners/${name}`);
  repos.push(repo);
  return repo.source();
}

afterAll(() => {
  for (const repo of repos) repo.remove();
});

const asObject = (results: TestResults): Record<string, TestStatus> => Object.fromEntries(results);

/** The whole log of a command: stdout then stderr, as the harness keeps it. */
async function run(box: Instance, command: string): Promise<{ log: string; exitCode: number }> {
  const result = await box.exec(command, { timeoutMs: 120_000 });
  return { log: result.stdout + result.stderr, exitCode: result.exitCode };
}

const T = 'tests/test_outcomes.py';

/** What `pytest -rA` names, with the status SWE-bench would record. */
const PYTEST_SUMMARY: Record<string, TestStatus> = {
  [`${T}::test_passes`]: 'PASSED',
  [`${T}::test_fails`]: 'FAILED',
  [`${T}::test_setup_error`]: 'ERROR',
  // Passed, then its fixture's teardown failed: PASSED and ERROR lines, merged.
  [`${T}::test_teardown_error`]: 'ERROR',
  [`${T}::test_xfail`]: 'XFAIL',
  // test_xpass: XPASS, left out as SWE-bench does. A strict xfail that passes is FAILED.
  [`${T}::test_xpass_strict`]: 'FAILED',
  [`${T}::test_unicode_café_ß`]: 'PASSED',
  [`${T}::test_param_ids[a - b]`]: 'PASSED',
  [`${T}::test_param_ids[with space]`]: 'PASSED',
  [`${T}::test_param_ids[[brackets]]`]: 'PASSED',
  [`${T}::test_param_ids[x]y]`]: 'FAILED',
  // pytest escapes non-ASCII in parameter ids (not in function names).
  [`${T}::test_param_ids[\\xfcn\\xef]`]: 'PASSED',
  [`${T}::test_param_values[1-1]`]: 'PASSED',
  [`${T}::test_param_values[2-3]`]: 'FAILED',
  [`${T}::test_param_values[s p-s p]`]: 'PASSED',
  [`${T}::TestGroup::test_method`]: 'PASSED',
  [`${T}::TestGroup::test_method_fails`]: 'FAILED',
  [`${T}::TestGroup::TestNested::test_deep`]: 'PASSED',
  [`${T}::TestGroup::test_method_param[0]`]: 'PASSED',
  [`${T}::TestGroup::test_method_param[1]`]: 'FAILED',
  'tests/test_same_name.py::test_shared_name': 'PASSED',
  'tests/sub/test_same_name_too.py::test_shared_name': 'FAILED',
};

/** The skipped tests: by node id only in `-v` lines and JUnit (the summary gives `SKIPPED [N] file:line`). */
const SKIPPED: Record<string, TestStatus> = {
  [`${T}::test_skip_mark`]: 'SKIPPED',
  [`${T}::test_skip_inside`]: 'SKIPPED',
  [`${T}::test_skip_param[1]`]: 'SKIPPED',
  [`${T}::test_skip_param[2]`]: 'SKIPPED',
};

/** JUnit has no XPASS: pytest writes the non-strict one as a plain passing testcase. */
const JUNIT_ONLY: Record<string, TestStatus> = { ...SKIPPED, [`${T}::test_xpass`]: 'PASSED' };

describe('pytest output (pytest 7 in the Python base image)', () => {
  let env: Environment;
  let source: SourceRef;

  beforeAll(async () => {
    source = runnerRepo('pytest');
    const spec = await sandbox.detect(source);
    expect(spec).toMatchObject({ language: 'python', setup: [], test: 'python -m pytest -rA', logParser: 'pytest' });
    env = await sandbox.ensureEnvironment(source, spec);
  });

  it('reads `pytest -rA`: every outcome, parametrized ids with spaces, ` - ` and brackets, classes, same-named tests', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const { log, exitCode } = await run(box, 'python -m pytest -rA');
      expect(log).toMatch(/platform linux -- Python 3\.\d+\.\d+, pytest-7\./);
      expect(exitCode).toBe(1);
      // The real summary's quirks this parser must cope with:
      expect(log).toContain(`FAILED ${T}::test_param_ids[x]y] - assert 4 != 4`);
      expect(log).toMatch(/^SKIPPED \[2\] tests\/test_outcomes\.py:\d+: same reason$/m);
      expect(log).toMatch(/^XPASS tests\/test_outcomes\.py::test_xpass fixed already$/m);
      expect(log).toMatch(/^FAILED tests\/test_outcomes\.py::test_fails - AssertionError: lists differ - on/m);

      const results = pytest.parse(log);
      expect(asObject(results)).toEqual(PYTEST_SUMMARY);
      expect(results.size).toBe(Object.keys(PYTEST_SUMMARY).length);

      expect(chooseParser('python -m pytest -rA', log)).toBe('pytest');
      expect(chooseParser(undefined, log)).toBe('pytest');
      const auto = await parseTestLog('auto', log, 'npm test');
      expect(auto.parser).toBe('pytest');
      expect(asObject(auto.results)).toEqual(PYTEST_SUMMARY);
    });
  });

  it('reads `pytest -rA -v` once per test, naming the skipped tests too, the summary deciding', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const { log } = await run(box, 'python -m pytest -rA -v');
      expect(log).toMatch(/^tests\/test_outcomes\.py::test_teardown_error PASSED\s+\[/m);
      expect(log).toMatch(/^tests\/test_outcomes\.py::test_teardown_error ERROR\s+\[/m);
      expect(log).toMatch(/^tests\/test_outcomes\.py::test_skip_param\[1\] SKIPPED \(same reason\)/m);

      const results = pytest.parse(log);
      expect(asObject(results)).toEqual({ ...PYTEST_SUMMARY, ...SKIPPED });
      // Run order, as the -v lines give it.
      expect([...results.keys()].slice(0, 4)).toEqual([
        `${T}::test_passes`,
        `${T}::test_fails`,
        `${T}::test_setup_error`,
        `${T}::test_teardown_error`,
      ]);
    });
  });

  it('reads `--junitxml` (xunit2 and xunit1) after the text output, agreeing with the text parser', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const command = 'python -m pytest -rA --junitxml=/tmp/r.xml; cat /tmp/r.xml';
      const { log } = await run(box, command);
      expect(log).toContain('<testsuite name="pytest"');

      const text = pytest.parse(log);
      expect(asObject(text)).toEqual(PYTEST_SUMMARY);
      const xml = junit.parse(log);
      expect(asObject(xml)).toEqual({ ...PYTEST_SUMMARY, ...JUNIT_ONLY });
      // Every test both name has one status in both.
      for (const [name, status] of text) expect([name, xml.get(name)]).toEqual([name, status]);
      expect([...xml.keys()].filter((name) => !text.has(name)).sort()).toEqual(Object.keys(JUNIT_ONLY).sort());

      // pytest's text is preferred when it lists the passing tests.
      expect(chooseParser(command, log)).toBe('pytest');

      const xunit1 = await run(box, 'python -m pytest -rA -o junit_family=xunit1 --junitxml=/tmp/r1.xml >/dev/null; cat /tmp/r1.xml');
      expect(xunit1.log).toMatch(/<testcase classname="tests\.test_outcomes\.TestGroup\.TestNested" name="test_deep" file="tests\/test_outcomes\.py"/);
      expect(asObject(junit.parse(xunit1.log))).toEqual(asObject(xml));
      expect(chooseParser('python -m pytest --junitxml=/tmp/r1.xml', xunit1.log)).toBe('junit');
    });
  });

  it('names a module that fails to import by its path, in both forms', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const { log, exitCode } = await run(box, 'python -m pytest -rA --junitxml=/tmp/b.xml broken; cat /tmp/b.xml');
      expect(exitCode).toBe(0); // the exit code of `cat`
      expect(log).toMatch(/^ERROR broken\/test_broken\.py( - .*)?$/m);
      expect(asObject(pytest.parse(log))).toEqual({ 'broken/test_broken.py': 'ERROR' });
      expect(asObject(junit.parse(log))).toEqual({ 'broken/test_broken.py': 'ERROR' });
    });
  });
});

describe('unittest, detected for a repository without pytest (Python 3.11 in the Python base image)', () => {
  let env: Environment;
  let source: SourceRef;
  let test: string;

  beforeAll(async () => {
    source = runnerRepo('unittest');
    const spec = await sandbox.detect(source);
    expect(spec).toMatchObject({ language: 'python', setup: [], test: 'python -m unittest discover -v -s tests', logParser: 'unittest' });
    test = spec.test;
    env = await sandbox.ensureEnvironment(source, spec);
  });

  it('names each test by its id, subtests and fixtures folded into their test or class, a module that cannot load as an ERROR', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const { log, exitCode } = await run(box, test);
      expect(exitCode).toBe(1);
      expect(log).toMatch(/^Ran 14 tests in /m);
      expect(chooseParser(test, log)).toBe('unittest');
      const U = 'test_outcomes.TestOutcomes';
      expect(asObject((await loadParser('unittest')).parse(log))).toEqual({
        'unittest.loader._FailedTest.test_broken': 'ERROR',
        'test_other.TestSameName.test_passes': 'FAILED',
        [`${U}.test_errors`]: 'ERROR',
        [`${U}.test_expected_failure`]: 'XFAIL',
        [`${U}.test_fails`]: 'FAILED',
        [`${U}.test_passes`]: 'PASSED',
        [`${U}.test_prints`]: 'PASSED',
        [`${U}.test_skipped`]: 'SKIPPED',
        [`${U}.test_subtests_fail`]: 'FAILED',
        [`${U}.test_subtests_pass`]: 'PASSED',
        [`${U}.test_unexpected_success`]: 'FAILED',
        [`${U}.test_unicode_café_ß`]: 'PASSED',
        [`${U}.test_with_docstring`]: 'PASSED',
        'test_outcomes.TestSameName.test_passes': 'PASSED',
        'test_outcomes.TestSetUpClassFails.setUpClass': 'ERROR',
        // What test_prints printed, after the summary: the documented limit of reading text.
        'tests.Fake.test_fake': 'PASSED',
      });
    });
  });
});

describe("node:test's JUnit reporter (Node 24 in the Node base image)", () => {
  let env: Environment;
  let source: SourceRef;

  beforeAll(async () => {
    source = runnerRepo('node-junit');
    // No dependencies: nothing to install.
    const spec = await sandbox.detect(source, { ...defaultRepoConfig().environment, setup: ['node --version'] });
    env = await sandbox.ensureEnvironment(source, spec);
  });

  const S = 'math & <xml> "quotes"';
  const EXPECTED: Record<string, TestStatus> = {
    'in the second file': 'PASSED',
    'top-level passes': 'PASSED',
    'top-level fails': 'FAILED',
    [`${S} > adds`]: 'PASSED',
    [`${S} > is skipped`]: 'SKIPPED',
    // A todo test carries <skipped type="todo"> and <failure>; TAP says `# TODO`.
    [`${S} > is todo`]: 'SKIPPED',
    [`${S} > nested > deep pass`]: 'PASSED',
    [`${S} > nested > deep fail ]]> <b>`]: 'FAILED',
    'parent with subtests > sub one': 'PASSED',
    'parent with subtests > sub two': 'FAILED',
    'same name': 'PASSED',
    'same name (#2)': 'FAILED',
    'unicode café ß ✓': 'PASSED',
  };

  it('reads nested suites, subtests, skip, todo, duplicates and escaped names', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const command = 'node --test --test-reporter=junit';
      const { log, exitCode } = await run(box, command);
      expect(exitCode).toBe(1);
      // What the names look like in the XML depends on the Node release (its
      // escaping of `"` changed within Node 24); what they mean does not.
      expect(log).toMatch(/<testsuite name="math &amp; &lt;xml> [^"]*quotes[^"]*"/);

      const results = junit.parse(log);
      expect(asObject(results)).toEqual(EXPECTED);
      expect(results.size).toBe(Object.keys(EXPECTED).length);
      expect(chooseParser('npm test', log)).toBe('junit');
      expect(chooseParser(command, '')).toBe('junit');
    });
  });

  it('names tests as the TAP parser does for the same suite', async () => {
    await sandbox.withInstance(env, source, async (box) => {
      const xml = junit.parse((await run(box, 'node --test --test-reporter=junit')).log);
      const tapLog = (await run(box, 'node --test --test-reporter=tap')).log;
      expect(chooseParser('node --test --test-reporter=tap', tapLog)).toBe('tap');
      const tap = (await loadParser('tap')).parse(tapLog);
      expect(asObject(tap)).toEqual(asObject(xml));
    });
  });
});
