/**
 * The Node runners' log parsers on real output: each fixture suite under
 * test/fixtures/runners/ (tape, node:test, mocha, jest, vitest, ava,
 * node-tap, uvu, and an npm workspaces monorepo) is installed
 * in an environment image once, run in an instance with the harness's own
 * runTests (stdout and stderr merged, as graded), and every format's parse
 * is compared with the exact map of names and statuses the fixture implies.
 * The formats of one runner are also compared with each other, and `auto`
 * (which judges by the output alone here) must pick each format's parser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../../src/config/repo-config.ts';
import { chooseParser } from '../../../src/harness/parsers/auto.ts';
import { parser as jestJson } from '../../../src/harness/parsers/jest-json.ts';
import { parser as jest } from '../../../src/harness/parsers/jest.ts';
import { parser as mocha } from '../../../src/harness/parsers/mocha.ts';
import { parser as tap } from '../../../src/harness/parsers/tap.ts';
import { parser as tape } from '../../../src/harness/parsers/tape.ts';
import { parser as uvu } from '../../../src/harness/parsers/uvu.ts';
import { parser as vitestJson } from '../../../src/harness/parsers/vitest-json.ts';
import { parser as vitest } from '../../../src/harness/parsers/vitest.ts';
import { parser as workspaces } from '../../../src/harness/parsers/workspaces.ts';
import { runTests, type TestRun } from '../../../src/harness/test-run.ts';
import type { TestResults, TestStatus } from '../../../src/harness/test-status.ts';
import type { EnvironmentSpec } from '../../../src/sandbox/detect.ts';
import type { SourceRef } from '../../../src/sandbox/source.ts';
import { fixtureRepo, type FixtureRepo } from '../../helpers/git-fixture.ts';
import { testSandbox } from '../../helpers/sandbox.ts';

const sandbox = testSandbox();
const repos: FixtureRepo[] = [];

afterAll(() => {
  for (const repo of repos) repo.remove();
});

/** test/fixtures/runners/<name> as a one-commit git repository. */
function runnerRepo(name: string): SourceRef {
  const repo = fixtureRepo(`runners/${name}`);
  repos.push(repo);
  return repo.source();
}

/**
 * Builds the fixture's environment (its .github/swe-bot.yml says how to
 * install) and runs each command in one instance, the way the harness does.
 */
async function runAll<K extends string>(
  name: string,
  commands: Record<K, string> | ((spec: EnvironmentSpec) => Record<K, string>),
): Promise<Record<K, TestRun>> {
  const source = runnerRepo(name);
  const config = parseRepoConfig(fs.readFileSync(path.join(source.repoDir, '.github', 'swe-bot.yml'), 'utf8'));
  const spec = await sandbox.detect(source, config.environment);
  const env = await sandbox.ensureEnvironment(source, spec);
  const list = typeof commands === 'function' ? commands(spec) : commands;
  return sandbox.withInstance(env, source, async (box) => {
    const runs = {} as Record<K, TestRun>;
    for (const [key, command] of Object.entries(list) as [K, string][]) {
      runs[key] = await runTests(box, command, { timeoutMs: 180_000 });
    }
    return runs;
  });
}

const asObject = (results: TestResults): Record<string, TestStatus> => Object.fromEntries(results);

/** The log as a failure message shows it: the start of the output. */
const head = (run: TestRun): string => run.output.slice(0, 3000);

describe('tape 5, two runs concatenated (fastq-style test command)', () => {
  let run: TestRun;
  beforeAll(async () => {
    ({ run } = await runAll('tape', {
      run: 'rc=0; for f in test/first.js test/second.js; do npx tape "$f" || rc=1; done; exit $rc',
    }));
  }, 900_000);

  it('names every `# heading`, fails those with a real `not ok`, and reads neither summary as tests', () => {
    expect(run.exitCode, head(run)).toBe(1);
    // Quirks of the real output the parser relies on:
    expect(run.output).toMatch(/^# SKIP skipped test$/m);
    expect(run.output).toMatch(/^# TODO todo test$/m);
    expect(run.output).toMatch(/^not ok \d+ not implemented yet # TODO$/m);
    expect(run.output.match(/^TAP version 13$/gm)).toHaveLength(2);
    expect(run.output.match(/^# pass {2}\d+$/gm)).toHaveLength(2);

    expect(chooseParser(undefined, run.output)).toBe('tape');
    expect(asObject(tape.parse(run.output))).toEqual({
      'adds numbers': 'PASSED',
      'fails on purpose': 'FAILED',
      'skipped test': 'SKIPPED',
      'todo test': 'SKIPPED',
      'outer suite': 'PASSED',
      // Subtests are flattened: a heading without assertions is a passing test.
      'inner suite': 'PASSED',
      'deepest test': 'PASSED',
      'unicode ✓ café > #1': 'PASSED',
      'same name': 'PASSED',
      'same name (#2)': 'FAILED',
      // `# SKIP` and `# TODO` assertions do not fail their test.
      'skipped and todo assertions': 'PASSED',
      // The second run: a name from the first run again.
      'adds numbers (#2)': 'PASSED',
      'only in the second file': 'FAILED',
    });
  });
});

describe('node:test 24, TAP reporter, two files', () => {
  let run: TestRun;
  beforeAll(async () => {
    ({ run } = await runAll('node-test', { run: 'node --test --test-reporter=tap test/*.test.js' }));
  }, 900_000);

  it('counts only leaf subtests, names them by their path, keeping the `\\#` escape as printed', () => {
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/^ {8}# Subtest: twig passes$/m);
    expect(run.output).toMatch(/^# Subtest: unicode ✓ café > \\#1$/m);
    // Files are not wrapped in subtests of their own.
    expect(run.output).not.toMatch(/# Subtest: .*first\.test\.js/);

    expect(chooseParser(undefined, run.output)).toBe('tap');
    expect(asObject(tap.parse(run.output))).toEqual({
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
      // As printed: dataset lists keep the escape (fast-json-stringify's `issue \\#491`).
      'unicode ✓ café > \\#1': 'PASSED',
      'same name': 'PASSED',
      'same name (#2)': 'FAILED',
      // Both files have a `top passes`.
      'top passes (#2)': 'PASSED',
      'only in the second file': 'FAILED',
    });
  });
});

describe('mocha 11, TAP and spec reporters', () => {
  let runs: Record<'tap' | 'spec', TestRun>;
  beforeAll(async () => {
    runs = await runAll('mocha', {
      tap: "npx mocha --reporter tap 'test/*.spec.js'",
      spec: "npx mocha 'test/*.spec.js'",
    });
  }, 900_000);

  const SPEC: Record<string, TestStatus> = {
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
  };

  it('reads the TAP reporter: flat full titles without ` - `, `# SKIP -` for pending, `#` removed by mocha', () => {
    const run = runs.tap;
    expect(run.exitCode, head(run)).toBe(3);
    expect(run.output).toMatch(/^ok \d+ outer skipped test # SKIP -$/m);
    expect(run.output).toMatch(/^ok \d+ unicode ✓ café > 1$/m);
    expect(run.output.trimEnd()).toMatch(/\n1\.\.11$/);
    expect(chooseParser(undefined, run.output)).toBe('tap');
    const results = tap.parse(run.output);
    expect(asObject(results)).toEqual({ ...without(SPEC, 'unicode ✓ café > #1'), 'unicode ✓ café > 1': 'PASSED' });
  });

  it('reads the spec reporter: suite indentation, ✔ / N) / - marks, slow-test durations, console lines at column 0', () => {
    const run = runs.spec;
    expect(run.exitCode, head(run)).toBe(3);
    expect(run.output).toMatch(/^ {4}✔ slow test passes \(\d+ms\)$/m);
    expect(run.output).toMatch(/^✔ console output that looks like a test$/m);
    expect(run.output).toMatch(/^ {2}2\) dup\n {7}same name:$/m);
    expect(chooseParser(undefined, run.output)).toBe('mocha');
    expect(asObject(mocha.parse(run.output))).toEqual(SPEC);
  });

  it('gives the same statuses under both reporters', () => {
    const fromTap = tap.parse(runs.tap.output);
    const fromSpec = mocha.parse(runs.spec.output);
    // mocha's TAP reporter deletes `#` from titles; otherwise the names are the same.
    const hashless = Object.fromEntries([...fromSpec].map(([name, status]) => [name.replace(/#(?!\d+\)$)/g, ''), status]));
    expect(hashless).toEqual(asObject(fromTap));
  });
});

describe('jest 29, verbose and --json', () => {
  let runs: Record<'verbose' | 'json' | 'detected', TestRun>;
  let detected: EnvironmentSpec;
  beforeAll(async () => {
    runs = await runAll('jest', (spec) => {
      detected = spec;
      return { verbose: 'npx jest --ci --verbose', json: 'npx jest --ci --json', detected: spec.test };
    });
  }, 900_000);

  const EXPECTED: Record<string, TestStatus> = {
    'outer inner passes deep': 'PASSED',
    'outer inner fails deep': 'FAILED',
    'outer passes shallow': 'PASSED',
    'outer skipped test': 'SKIPPED',
    'outer todo test': 'SKIPPED',
    'root level passes': 'PASSED',
    'unicode ✓ café > #1': 'PASSED',
    'dup same name': 'PASSED',
    'dup same name (#2)': 'FAILED',
    'second file logs and passes': 'PASSED',
    'second file objects differ': 'FAILED',
    // A file with a syntax error: one ERROR named by its path.
    '__tests__/broken.test.js': 'ERROR',
  };

  it('reads the verbose tree, skipping the console block and the failure details', () => {
    const run = runs.verbose;
    expect(run.exitCode, head(run)).toBe(1);
    // The console block (stdout) comes before its file's header (stderr).
    expect(run.output).toMatch(/^ {2}console\.log$/m);
    expect(run.output).toMatch(/^ {6}✓ console output that looks like a test$/m);
    expect(run.output).toMatch(/^ {4}○ skipped skipped test$/m);
    expect(run.output).toMatch(/^ {4}✎ todo todo test$/m);
    expect(run.output).toMatch(/^ {2}● Test suite failed to run$/m);
    expect(chooseParser(undefined, run.output)).toBe('jest');
    expect(asObject(jest.parse(run.output))).toEqual(EXPECTED);
  });

  it('names every test with the command detection picks for a plain `jest` script (no configured test command)', () => {
    expect(detected).toMatchObject({ test: 'npm test -- --ci --verbose', logParser: 'jest' });
    expect(asObject(jest.parse(runs.detected.output))).toEqual(EXPECTED);
  });

  it('finds the --json report among the progress lines and reads it the same way', () => {
    const run = runs.json;
    expect(run.exitCode, head(run)).toBe(1);
    // Progress on stderr around the one-line report on stdout.
    expect(run.output).toMatch(/^FAIL __tests__\/broken\.test\.js$/m);
    expect(run.output).toContain('{"numFailedTestSuites":3,');
    expect(run.output).toContain('"name":"/testbed/__tests__/broken.test.js"');
    expect(chooseParser(undefined, run.output)).toBe('jest-json');
    const results = jestJson.parse(run.output);
    expect(asObject(results)).toEqual(EXPECTED);
    // The report keeps definition order; the verbose tree puts a file's top-level tests first.
    expect([...results.keys()].slice(0, 2)).toEqual(['outer inner passes deep', 'outer inner fails deep']);
    expect([...jest.parse(runs.verbose.output).keys()].slice(0, 2)).toEqual(['root level passes', 'unicode ✓ café > #1']);
  });
});

describe('vitest 3, tap-flat, tap, verbose, default and json reporters', () => {
  let runs: Record<'tapFlat' | 'tap' | 'verbose' | 'default' | 'json' | 'detected', TestRun>;
  let detected: EnvironmentSpec;
  beforeAll(async () => {
    runs = await runAll('vitest', (spec) => {
      detected = spec;
      return {
        tapFlat: 'npx vitest run --reporter=tap-flat',
        tap: 'npx vitest run --reporter=tap',
        verbose: 'npx vitest run --reporter=verbose',
        default: 'npx vitest run',
        json: 'npx vitest run --reporter=json',
        detected: spec.test,
      };
    });
  }, 900_000);

  const F = 'test/first.test.ts';
  const S = 'test/second.test.js';
  const EXPECTED: Record<string, TestStatus> = {
    // A file that cannot load: tap-flat prints it as a failing test of that name.
    'test/broken.test.js': 'ERROR',
    [`${F} > outer > inner > passes deep`]: 'PASSED',
    [`${F} > outer > inner > fails deep`]: 'FAILED',
    [`${F} > outer > passes shallow`]: 'PASSED',
    [`${F} > outer > skipped test`]: 'SKIPPED',
    [`${F} > outer > todo test`]: 'SKIPPED',
    [`${F} > root level passes`]: 'PASSED',
    // Spelled as vitest's TAP reporters print it, escapes included, in every format.
    [`${F} > unicode ✓ café > \\#1`]: 'PASSED',
    [`${F} > back\\\\slash`]: 'PASSED',
    [`${F} > dup > same name`]: 'PASSED',
    [`${F} > dup > same name (#2)`]: 'FAILED',
    [`${S} > second file > logs and passes`]: 'PASSED',
    [`${S} > second file > objects differ`]: 'FAILED',
  };
  const FROM_TAP = { ...EXPECTED, 'test/broken.test.js': 'FAILED' as TestStatus };

  it('reads tap-flat with the tap parser: `file > suite > test`, `# time=` stripped, escapes kept', () => {
    const run = runs.tapFlat;
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/^ok \d+ - test\/first\.test\.ts > unicode ✓ café > \\#1 # time=\S+$/m);
    expect(run.output).toMatch(/^ok \d+ - test\/first\.test\.ts > outer > todo test # TODO$/m);
    expect(run.output).toMatch(/^ok \d+ - test\/first\.test\.ts > back\\\\slash # time=\S+$/m);
    expect(chooseParser(undefined, run.output)).toBe('tap');
    expect(asObject(tap.parse(run.output))).toEqual(FROM_TAP);
  });

  it('reads the nested tap reporter ({ } blocks) to the same names', () => {
    const run = runs.tap;
    expect(run.output).toMatch(/^not ok \d+ - test\/first\.test\.ts # time=\S+ \{$/m);
    expect(asObject(tap.parse(run.output))).toEqual(FROM_TAP);
  });

  it('reads the verbose reporter, skipping console output and naming the file that failed to load', () => {
    const run = runs.verbose;
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/^stdout \| test\/second\.test\.js > second file > logs and passes$/m);
    expect(run.output).toMatch(/^ FAIL {2}test\/broken\.test\.js/m);
    // Verbose prints titles raw; the parser spells them as tap-flat does.
    expect(run.output).toMatch(/^ ✓ test\/first\.test\.ts > back\\slash \d+ms$/m);
    expect(chooseParser(undefined, run.output)).toBe('vitest');
    expect(asObject(vitest.parse(run.output))).toEqual(EXPECTED);
  });

  it('names every test with the command detection picks for a plain `vitest` script (no configured test command)', () => {
    expect(detected).toMatchObject({ test: 'npm test -- --run --reporter=verbose', logParser: 'vitest' });
    expect(asObject(vitest.parse(runs.detected.output))).toEqual(EXPECTED);
  });

  it('reads the default reporter where it lists tests (files with failures)', () => {
    const run = runs.default;
    expect(run.output).toMatch(/^ ❯ test\/first\.test\.ts \(10 tests \| 2 failed \| 2 skipped\) \d+ms$/m);
    expect(asObject(vitest.parse(run.output))).toEqual(EXPECTED);
  });

  it('reads the json report with paths relative to /testbed, agreeing with tap-flat on every name', () => {
    const run = runs.json;
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toContain('"name":"/testbed/test/first.test.ts"');
    expect(chooseParser(undefined, run.output)).toBe('vitest-json');
    const fromJson = vitestJson.parse(run.output);
    expect(asObject(fromJson)).toEqual(EXPECTED);
    const fromTapFlat = tap.parse(runs.tapFlat.output);
    expect([...fromJson.keys()].sort()).toEqual([...fromTapFlat.keys()].sort());
    expect([...vitest.parse(runs.verbose.output).keys()].sort()).toEqual([...fromTapFlat.keys()].sort());
  });
});

/** Runs the command detection picks for a fixture (no test command configured). */
async function runDetected(name: string): Promise<{ run: TestRun; spec: EnvironmentSpec }> {
  let spec: EnvironmentSpec | undefined;
  const { run } = await runAll(name, (detected) => {
    spec = detected;
    return { run: detected.test };
  });
  if (spec === undefined) throw new Error('detection gave no spec');
  return { run, spec };
}

describe('ava 8, the detected command (TAP)', () => {
  let run: TestRun;
  let spec: EnvironmentSpec;
  beforeAll(async () => {
    ({ run, spec } = await runDetected('ava'));
  }, 900_000);

  it('asks ava for TAP and names each test `file › title`, a file that cannot load as failing entries', () => {
    expect(spec).toMatchObject({ test: 'npm test -- --tap', logParser: 'tap' });
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/^# {3}ok 99 - a log line that looks like TAP$/m);
    expect(chooseParser(undefined, run.output)).toBe('tap');
    expect(asObject(tap.parse(run.output))).toEqual({
      'Error: cannot load this file': 'FAILED',
      'test/broken.test.js exited with a non-zero exit code: 1': 'FAILED',
      'first › skipped test': 'SKIPPED',
      'first › todo test': 'SKIPPED',
      'first › root level passes': 'PASSED',
      'first › fails on purpose': 'FAILED',
      'first › known bug, failing as expected': 'PASSED',
      'first › unicode ✓ café > #1': 'PASSED',
      'first › logs and passes': 'PASSED',
      'second › root level passes': 'PASSED',
      'second › objects differ': 'FAILED',
    });
  });
});

describe('node-tap 21, the detected command (--reporter=tap --disable-coverage)', () => {
  let run: TestRun;
  let spec: EnvironmentSpec;
  beforeAll(async () => {
    ({ run, spec } = await runDetected('node-tap'));
  }, 900_000);

  it('reads files as subtests, assertions not counted, skipped and todo subtests by their bare lines', () => {
    expect(spec).toMatchObject({ test: 'npm test -- --reporter=tap --disable-coverage', logParser: 'tap' });
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/^TAP version 14$/m);
    expect(run.output).toMatch(/^ {4}ok \d+ - skipped test # SKIP not today$/m);
    expect(chooseParser(undefined, run.output)).toBe('tap');
    expect(asObject(tap.parse(run.output))).toEqual({
      'test/first.test.js > outer > inner > passes deep': 'PASSED',
      'test/first.test.js > outer > inner > fails deep': 'FAILED',
      'test/first.test.js > outer > passes shallow': 'PASSED',
      'test/first.test.js > skipped test': 'SKIPPED',
      'test/first.test.js > todo test': 'SKIPPED',
      'test/first.test.js > unicode ✓ café > \\#1': 'PASSED',
      'test/first.test.js > same name': 'PASSED',
      'test/first.test.js > same name (#2)': 'FAILED',
      'test/first.test.js > logs and passes': 'PASSED',
      'test/second.test.js': 'PASSED',
      'test/third.test.js > outer > passes deep': 'FAILED',
    });
  });
});

describe('uvu 0.5, the detected command (its only reporter)', () => {
  let run: TestRun;
  let spec: EnvironmentSpec;
  beforeAll(async () => {
    ({ run, spec } = await runDetected('uvu'));
  }, 900_000);

  it('names each suite `file > suite` with its outcome, since uvu names no passing test', () => {
    expect(spec).toMatchObject({ test: 'npm test', logParser: 'uvu' });
    expect(run.exitCode, head(run)).toBe(1);
    expect(run.output).toMatch(/FAIL .*math.*fails on purpose/);
    expect(chooseParser(undefined, run.output)).toBe('uvu');
    expect(asObject(uvu.parse(run.output))).toEqual({
      'first.test.js': 'PASSED',
      'first.test.js > math': 'FAILED',
      'first.test.js > unicode ✓ café > #1': 'PASSED',
      'second.test.js > math': 'FAILED',
      'second.test.js > only skipped': 'SKIPPED',
    });
  });
});

describe('npm workspaces, the detected command (each package under a marker)', () => {
  let run: TestRun;
  let spec: EnvironmentSpec;
  beforeAll(async () => {
    ({ run, spec } = await runDetected('workspaces'));
  }, 900_000);

  it('runs every package in its folder with its runner\'s options, the same test names kept apart by the package', () => {
    expect(spec.logParser).toBe('workspaces');
    expect(run.exitCode, head(run)).toBe(1);
    // beta's pretest hook makes its command the runner step itself: tape is found in the root's node_modules/.bin.
    expect(run.output).toMatch(/^pretest ran$/m);
    expect(chooseParser(undefined, run.output)).toBe('workspaces');
    expect(asObject(workspaces.parse(run.output))).toEqual({
      'packages/alpha > adds': 'PASSED',
      'packages/alpha > only in alpha': 'PASSED',
      'packages/beta > adds': 'FAILED',
      'packages/gamma > adds': 'PASSED',
    });
  });
});

function without(map: Record<string, TestStatus>, key: string): Record<string, TestStatus> {
  return Object.fromEntries(Object.entries(map).filter(([name]) => name !== key));
}
