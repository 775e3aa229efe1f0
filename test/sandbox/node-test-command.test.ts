import { describe, expect, it } from 'vitest';
import { nodeTestCommand, runsWorkspaces, splitSteps, type WorkspacePackage } from '../../src/sandbox/node-test-command.ts';

const PATH = 'export PATH="$PWD/node_modules/.bin:$PATH"';

describe('nodeTestCommand', () => {
  it('keeps a script that is one runner call, passing the options that name every test', () => {
    expect(nodeTestCommand('npm', { test: 'jest' }, true)).toEqual({ test: 'npm test -- --ci --verbose', logParser: 'jest' });
    expect(nodeTestCommand('yarn', { test: 'jest --coverage' }, true)).toEqual({ test: 'yarn test --ci --verbose', logParser: 'jest' });
    expect(nodeTestCommand('pnpm', { test: 'vitest run' }, false)).toEqual({ test: 'pnpm test --run --reporter=verbose', logParser: 'vitest' });
    // ms 2.1.3's script.
    expect(nodeTestCommand('npm', { test: 'mocha tests.js' }, false)).toEqual({ test: 'npm test -- --reporter spec', logParser: 'mocha' });
    expect(nodeTestCommand('npm', { test: 'node --test' }, true)).toEqual({ test: 'npm test -- --test-reporter=tap', logParser: 'tap' });
    expect(nodeTestCommand('npm', { test: 'tape test/*.js' }, true)).toEqual({ test: 'npm test', logParser: 'tape' });
  });

  it('leaves a reporter the script already picks', () => {
    expect(nodeTestCommand('npm', { test: 'jest --verbose' }, true)).toEqual({ test: 'npm test', logParser: 'jest' });
    expect(nodeTestCommand('npm', { test: 'mocha -R spec' }, true)).toEqual({ test: 'npm test', logParser: 'mocha' });
  });

  it('runs the runner step alone when the script does more (commander 9.4.1: jest, then the typings)', () => {
    expect(nodeTestCommand('npm', { test: 'jest && npm run test-typings', 'test-typings': 'tsd' }, true)).toEqual({
      test: `${PATH} && jest --ci --verbose`,
      logParser: 'jest',
    });
  });

  it('skips a pretest lint and the reporter pipe (postcss-value-parser 4.2.0)', () => {
    const scripts = {
      'lint:prettier': 'prettier "**/*.js" "**/*.ts" --list-different',
      'lint:js': 'eslint . --cache',
      lint: 'yarn lint:js && yarn lint:prettier',
      pretest: 'yarn lint',
      test: 'tape test/*.js | tap-spec',
    };
    expect(nodeTestCommand('yarn', scripts, true)).toEqual({ test: `${PATH} && tape test/*.js`, logParser: 'tape' });
  });

  it('runs the runner alone when a posttest hook would check more than the tests (ini 3.0.1)', () => {
    const scripts = { lint: 'eslint "**/*.js"', postlint: 'template-oss-check', posttest: 'npm run lint', test: 'mocha' };
    expect(nodeTestCommand('npm', scripts, true)).toEqual({ test: `${PATH} && mocha --reporter spec`, logParser: 'mocha' });
    // Without the hook the repository's own script is kept.
    expect(nodeTestCommand('npm', { test: 'mocha' }, true)).toEqual({ test: 'npm test -- --reporter spec', logParser: 'mocha' });
  });

  it('keeps the build of a pretest hook, without its lint', () => {
    const scripts = { build: 'tsc -p .', lint: 'eslint .', pretest: 'npm run lint && npm run build', test: 'mocha' };
    expect(nodeTestCommand('npm', scripts, true)).toEqual({ test: `${PATH} && tsc -p . && mocha --reporter spec`, logParser: 'mocha' });
  });

  it('keeps a build before the runner, drops lint and type checks, follows npm run into scripts', () => {
    const scripts = { build: 'tsc -p .', lint: 'eslint src', unit: 'cross-env NODE_ENV=test vitest', test: 'npm run lint && npm run build && tsc --noEmit && npm run unit' };
    expect(nodeTestCommand('npm', scripts, true)).toEqual({
      test: `${PATH} && tsc -p . && cross-env NODE_ENV=test vitest --run --reporter=verbose`,
      logParser: 'vitest',
    });
  });

  it('asks ava for TAP and runs uvu as it is, unless the script already picks a TAP reporter', () => {
    expect(nodeTestCommand('npm', { test: 'ava' }, true)).toEqual({ test: 'npm test -- --tap', logParser: 'tap' });
    expect(nodeTestCommand('yarn', { test: 'ava --verbose test/*.js' }, true)).toEqual({ test: 'yarn test --tap', logParser: 'tap' });
    expect(nodeTestCommand('npm', { test: 'ava --tap' }, true)).toEqual({ test: 'npm test', logParser: 'tap' });
    expect(nodeTestCommand('npm', { test: 'ava -t | tap-spec' }, true)).toEqual({ test: `${PATH} && ava -t`, logParser: 'tap' });
    expect(nodeTestCommand('npm', { test: 'uvu -r tsm tests' }, true)).toEqual({ test: 'npm test', logParser: 'uvu' });
    expect(nodeTestCommand('npm', { test: 'npm run build && uvu tests', build: 'tsc' }, true)).toEqual({ test: `${PATH} && tsc && uvu tests`, logParser: 'uvu' });
    // tap-spec and tap-run are no node-tap.
    expect(nodeTestCommand('npm', { test: 'tap-run test/*.js' }, true)).toEqual({ test: 'npm test', logParser: 'tape' });
  });

  it('asks node-tap for TAP without coverage, with the coverage switch of the release its range installs', () => {
    const current = '--reporter=tap --disable-coverage';
    const old = '--reporter=tap --no-coverage';
    expect(nodeTestCommand('npm', { test: 'tap' }, true)).toEqual({ test: `npm test -- ${current}`, logParser: 'tap' });
    for (const range of ['^21.1.0', '>=16', '*', 'latest', '18.x']) {
      expect(nodeTestCommand('npm', { test: 'tap' }, true, [], { tap: range }).test, range).toBe(`npm test -- ${current}`);
    }
    for (const range of ['^16.3.0', '~15.0.0', '12', '<18']) {
      expect(nodeTestCommand('npm', { test: 'tap' }, true, [], { tap: range }).test, range).toBe(`npm test -- ${old}`);
    }
    // A reporter the script names is overridden by the one passed after it, and one it already names costs nothing.
    expect(nodeTestCommand('pnpm', { test: 'tap -R spec test/*.js' }, true).test).toBe(`pnpm test ${current}`);
    expect(nodeTestCommand('npm', { test: 'tap --reporter=tap && npm run lint', lint: 'eslint .' }, true, [], { tap: '^16' }).test).toBe(
      `${PATH} && tap --reporter=tap ${old}`,
    );
    expect(nodeTestCommand('npm', { test: 'c8 tap' }, true)).toEqual({ test: 'npm test', logParser: 'auto' });
  });

  it('runs an unknown runner as the script is, and node --test without a script', () => {
    expect(nodeTestCommand('npm', { test: 'karma start --single-run' }, true)).toEqual({ test: 'npm test', logParser: 'auto' });
    expect(nodeTestCommand('npm', { test: 'echo "Error: no test specified" && exit 1' }, true)).toEqual({ test: 'node --test --test-reporter=tap', logParser: 'tap' });
    expect(nodeTestCommand('pnpm', undefined, false)).toEqual({ test: 'pnpm test', logParser: 'auto' });
  });
});

const ws = (dir: string, scripts?: Record<string, string>): WorkspacePackage => ({ dir, scripts });
const section = (parser: string, dir: string, command: string): string => `echo '>>>>> Section ${parser} ${dir}'; (cd '${dir}' && ${command}) || rc=1`;

describe('nodeTestCommand in a monorepo', () => {
  const packages = [
    ws('packages/b', { test: 'vitest' }),
    ws('packages/a', { test: 'jest', pretest: 'npm run build', build: 'tsc -b' }),
    // No test script, or npm's placeholder: left out, as `npm test --workspaces --if-present` does.
    ws('packages/c', { build: 'tsc' }),
    ws('packages/d', { test: 'echo "Error: no test specified" && exit 1' }),
    ws('packages/e', undefined),
    ws('tools/it', { test: 'node test/run.js' }),
  ];
  const EACH = [
    section('jest', 'packages/a', `${PATH} && tsc -b && jest --ci --verbose`),
    section('vitest', 'packages/b', 'npm test -- --run --reporter=verbose'),
    section('auto', 'tools/it', 'npm test'),
  ].join('; ');

  it('runs each package that has the script in its folder, under a marker naming its folder and parser, when the root hands the tests over', () => {
    for (const script of ['npm test --workspaces', 'npm run test -ws --if-present', 'npm --workspaces test', 'lerna run test --stream', 'turbo run test', 'turbo test --concurrency 1']) {
      expect(nodeTestCommand('npm', { test: script }, false, packages), script).toEqual({ test: `${PATH}; rc=0; ${EACH}; exit $rc`, logParser: 'workspaces' });
    }
  });

  it('passes the options the way each package manager does, for pnpm and yarn hand-overs', () => {
    const two = [ws('packages/a', { test: 'jest' }), ws('packages/b', { test: 'ava' })];
    // node-tap's range: the package's own, else the root's (hoisted).
    const taps = [{ ...ws('packages/a', { test: 'tap' }), declared: { tap: '^16.0.0' } }, ws('packages/b', { test: 'tap' })];
    expect(nodeTestCommand('npm', { test: 'npm test -ws' }, false, taps, { tap: '^21.0.0' }).test).toBe(
      `${PATH}; rc=0; ${section('tap', 'packages/a', 'npm test -- --reporter=tap --no-coverage')}; ${section('tap', 'packages/b', 'npm test -- --reporter=tap --disable-coverage')}; exit $rc`,
    );
    const pnpm = [section('jest', 'packages/a', 'pnpm test --ci --verbose'), section('tap', 'packages/b', 'pnpm test --tap')].join('; ');
    for (const script of ['pnpm -r test', 'pnpm --recursive run test', 'pnpm run -r test', 'pnpm -r --parallel test']) {
      expect(nodeTestCommand('pnpm', { test: script }, false, two).test, script).toBe(`${PATH}; rc=0; ${pnpm}; exit $rc`);
    }
    const yarn = [section('jest', 'packages/a', 'yarn test --ci --verbose'), section('tap', 'packages/b', 'yarn test --tap')].join('; ');
    for (const script of ['yarn workspaces run test', 'yarn workspaces foreach -A run test', 'yarn workspaces foreach --all -j 4 --topological-dev run test']) {
      expect(nodeTestCommand('yarn', { test: script }, false, two).test, script).toBe(`${PATH}; rc=0; ${yarn}; exit $rc`);
    }
  });

  it('runs a handed-over script of another name with `run`, after the root steps before it, leaving out lint steps', () => {
    const scripts = { build: 'tsc -b', lint: 'lerna run lint', test: 'npm run lint && npm run build && lerna run test:unit' };
    const pkgs = [ws('packages/a', { 'test:unit': 'mocha', test: 'npm run lint && npm run test:unit' })];
    expect(nodeTestCommand('npm', scripts, false, pkgs)).toEqual({
      test: `${PATH} && tsc -b || exit 1; rc=0; ${section('mocha', 'packages/a', 'npm run test:unit -- --reporter spec')}; exit $rc`,
      logParser: 'workspaces',
    });
  });

  it('looks in the packages when the root has no test script of its own, before falling back to node --test', () => {
    const pkgs = [ws('packages/a', { test: 'jest' })];
    const each = `${PATH}; rc=0; ${section('jest', 'packages/a', 'npm test -- --ci --verbose')}; exit $rc`;
    expect(nodeTestCommand('npm', undefined, true, pkgs)).toEqual({ test: each, logParser: 'workspaces' });
    expect(nodeTestCommand('npm', { test: 'echo "Error: no test specified" && exit 1' }, true, pkgs).test).toBe(each);
    // No package has the script: as without packages.
    expect(nodeTestCommand('npm', undefined, true, [ws('packages/a', { build: 'tsc' })])).toEqual({ test: 'node --test --test-reporter=tap', logParser: 'tap' });
    expect(runsWorkspaces(undefined)).toBe(true);
  });

  it('keeps a root runner (jest projects, a vitest workspace), an unknown root script and a filtered hand-over as they are', () => {
    const pkgs = [ws('packages/a', { test: 'jest' })];
    expect(nodeTestCommand('npm', { test: 'jest' }, false, pkgs)).toEqual({ test: 'npm test -- --ci --verbose', logParser: 'jest' });
    expect(nodeTestCommand('npm', { test: 'vitest run && lerna run test' }, false, pkgs)).toEqual({ test: `${PATH} && vitest run --run --reporter=verbose`, logParser: 'vitest' });
    for (const script of [
      'nx run-many -t test',
      'npm test -w packages/a',
      'npm test --workspace=packages/a --workspaces',
      'pnpm -r --filter ./packages/a test',
      'pnpm -r -F a test',
      'lerna run test --scope a',
      'turbo run test --filter=a',
      'turbo run build test',
      'yarn workspaces foreach --include a run test',
      'lerna run build',
    ]) {
      expect(nodeTestCommand('npm', { test: script }, false, pkgs), script).toEqual({ test: 'npm test', logParser: 'auto' });
      expect(runsWorkspaces({ test: script }), script).toBe(false);
    }
  });

  it('quotes a folder the shell would split', () => {
    const { test } = nodeTestCommand('npm', undefined, false, [ws("pkgs/it's here", { test: 'tape test/*.js' })]);
    expect(test).toBe(`${PATH}; rc=0; echo '>>>>> Section tape pkgs/it'\\''s here'; (cd 'pkgs/it'\\''s here' && npm test) || rc=1; exit $rc`);
  });
});

describe('splitSteps', () => {
  it('splits on &&, || and ; outside quotes', () => {
    expect(splitSteps(`a && b || c; d "x && y" 'p;q'`)).toEqual(['a', 'b', 'c', `d "x && y" 'p;q'`]);
  });
});
