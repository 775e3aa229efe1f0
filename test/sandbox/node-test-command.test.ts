import { describe, expect, it } from 'vitest';
import { nodeTestCommand, splitSteps } from '../../src/sandbox/node-test-command.ts';

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

  it('runs an unknown runner as the script is, and node --test without a script', () => {
    expect(nodeTestCommand('npm', { test: 'ava' }, true)).toEqual({ test: 'npm test', logParser: 'auto' });
    expect(nodeTestCommand('npm', { test: 'echo "Error: no test specified" && exit 1' }, true)).toEqual({ test: 'node --test --test-reporter=tap', logParser: 'tap' });
    expect(nodeTestCommand('pnpm', undefined, false)).toEqual({ test: 'pnpm test', logParser: 'auto' });
  });
});

describe('splitSteps', () => {
  it('splits on &&, || and ; outside quotes', () => {
    expect(splitSteps(`a && b || c; d "x && y" 'p;q'`)).toEqual(['a', 'b', 'c', `d "x && y" 'p;q'`]);
  });
});
