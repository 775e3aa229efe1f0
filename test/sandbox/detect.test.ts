/** Detection reads git objects on the host only: no Docker needed. */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { detectEnvironment, majorForRange, parseNodeVersionLoose } from '../../src/sandbox/detect.ts';
import { environmentKey } from '../../src/sandbox/env-image.ts';
import { setupSteps } from '../../src/sandbox/setup-steps.ts';
import { DEFAULT_NODE_MAJOR, NODE_MAJORS, nodeRelease } from '../../src/sandbox/toolchains.ts';
import { fixtureRepo, gitIn, type FixtureRepo } from '../helpers/git-fixture.ts';

const defaults = defaultRepoConfig().environment;
const repos: FixtureRepo[] = [];
function repo(name: string): FixtureRepo {
  const made = fixtureRepo(name);
  repos.push(made);
  return made;
}
afterEach(() => {
  for (const made of repos.splice(0)) made.remove();
});

describe('detectEnvironment', () => {
  it('reads a Node repository: npm with a lock file, node --test', async () => {
    const spec = await detectEnvironment(repo('node-repo').source(), defaults);
    expect(spec).toMatchObject({
      language: 'node',
      nodeMajor: DEFAULT_NODE_MAJOR,
      packageManager: 'npm',
      setup: ['npm ci'],
      test: 'npm test -- --test-reporter=tap',
      logParser: 'tap',
      origin: { setup: 'detection', test: 'detection' },
    });
    expect(Object.keys(spec.manifests)).toEqual(['package-lock.json', 'package.json']);
  });

  it('picks pnpm and yarn from lock files and packageManager, and the Node version from .nvmrc / engines', async () => {
    const made = repo('node-repo');
    made.commit({ 'pnpm-lock.yaml': 'lockfileVersion: 9\n', '.nvmrc': 'v20.11.1\n' });
    let spec = await detectEnvironment(made.source(), defaults);
    expect(spec).toMatchObject({ packageManager: 'pnpm', setup: ['pnpm install --frozen-lockfile'], test: 'pnpm test --test-reporter=tap', nodeMajor: 20 });

    const yarn = repo('node-repo');
    yarn.commit({
      'package.json': JSON.stringify({ name: 'y', packageManager: 'yarn@4.1.0', engines: { node: '^18 || ^20' }, scripts: { test: 'jest' } }),
      'yarn.lock': '# yarn\n',
    });
    spec = await detectEnvironment(yarn.source(), defaults);
    expect(spec).toMatchObject({ packageManager: 'yarn', setup: ['yarn install --immutable'], nodeMajor: 20, logParser: 'jest' });
  });

  it('lets the config override everything', async () => {
    const spec = await detectEnvironment(repo('node-repo').source(), {
      ...defaults,
      node_version: '18',
      setup: ['npm install --ignore-scripts'],
      test: 'npx mocha',
      log_parser: 'mocha',
      timeout_minutes: 2,
    });
    expect(spec).toMatchObject({ nodeMajor: 18, setup: ['npm install --ignore-scripts'], test: 'npx mocha', logParser: 'mocha', timeoutMs: 120_000 });
    expect(spec.origin).toEqual({ setup: 'configuration', test: 'configuration' });
  });

  it('reads a Python repository', async () => {
    const made = repo('python-repo');
    let spec = await detectEnvironment(made.source(), defaults);
    expect(spec).toMatchObject({ language: 'python', setup: [], test: 'python -m pytest -rA', logParser: 'pytest' });
    made.commit({ 'requirements.txt': 'attrs\n', 'pyproject.toml': '[project]\nname = "calc"\n' });
    spec = await detectEnvironment(made.source(), defaults);
    expect(spec.setup).toEqual(['pip install -r requirements.txt', 'pip install -e .']);
    expect(Object.keys(spec.manifests).sort()).toEqual(['pyproject.toml', 'requirements.txt']);
  });

  it('runs unittest for a repository whose tests use it and that shows no sign of pytest', async () => {
    const made = repo('runners/unittest');
    const source = made.source();
    expect(await detectEnvironment(source, defaults)).toMatchObject({ language: 'python', setup: [], test: 'python -m unittest discover -v -s tests', logParser: 'unittest' });
    // A tests package is named from the root.
    made.commit({ 'tests/__init__.py': '' });
    expect((await detectEnvironment(made.source(), defaults)).test).toBe('python -m unittest discover -v -s tests -t .');
    // Any sign of pytest: pytest, as before.
    for (const sign of [
      { 'requirements-dev.txt': 'pytest==8.3.0\n' },
      { 'setup.cfg': '[tool:pytest]\ntestpaths = tests\n' },
      { 'tox.ini': '[testenv]\ncommands = pytest {posargs}\n' },
      { '.github/workflows/ci.yml': 'jobs:\n  test:\n    steps:\n      - run: python -m pytest\n' },
      { 'tests/sub/conftest.py': '' },
      { 'tests/test_new.py': 'import pytest\n\ndef test_x():\n    assert True\n' },
    ]) {
      const signed = repo('runners/unittest');
      signed.commit(sign);
      expect(await detectEnvironment(signed.source(), defaults), Object.keys(sign)[0]).toMatchObject({ test: 'python -m pytest -rA', logParser: 'pytest' });
    }
  });

  it('finds unittest modules at the root, in test/, and named *_test.py', async () => {
    const made = repo('runners/unittest');
    gitIn(made.dir, 'mv', 'tests', 'test');
    gitIn(made.dir, 'commit', '-q', '-m', 'test/');
    expect((await detectEnvironment(made.source(), defaults)).test).toBe('python -m unittest discover -v -s test');
    gitIn(made.dir, 'mv', 'test/test_outcomes.py', 'test/outcomes_test.py');
    gitIn(made.dir, 'rm', '-q', 'test/test_other.py', 'test/test_broken.py');
    gitIn(made.dir, 'commit', '-q', '-m', '*_test.py');
    expect((await detectEnvironment(made.source(), defaults)).test).toBe("python -m unittest discover -v -s test -p '*_test.py'");
    gitIn(made.dir, 'mv', 'test/outcomes_test.py', 'test_outcomes.py');
    gitIn(made.dir, 'commit', '-q', '-m', 'at the root');
    expect((await detectEnvironment(made.source(), defaults)).test).toBe('python -m unittest discover -v');
    // Test modules that import neither: pytest, which runs plain functions too.
    const plain = repo('runners/unittest');
    plain.commit({ 'tests/test_outcomes.py': 'def test_x():\n    assert True\n', 'tests/test_other.py': 'def test_y():\n    assert True\n' });
    expect((await detectEnvironment(plain.source(), defaults)).test).toBe('python -m pytest -rA');
  });

  it('explains when it cannot tell the language', async () => {
    const made = repo('python-repo');
    gitIn(made.dir, 'rm', '-q', 'pyproject.toml', 'tests/conftest.py');
    gitIn(made.dir, 'commit', '-q', '-m', 'remove the markers');
    await expect(detectEnvironment(made.source(), defaults)).rejects.toThrow(ConfigError);
    await expect(detectEnvironment(made.source(), defaults)).rejects.toThrow(/environment\.language/);
  });

  it('fails before any build when the repository asks for a Node major without a pinned release, naming the ones there are', async () => {
    const made = repo('node-repo');
    made.commit({ '.nvmrc': 'v7.10.1\n' });
    const error = await detectEnvironment(made.source(), defaults).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('Node.js 7 is not available');
    expect((error as ConfigError).message).toContain(`${NODE_MAJORS.at(-1)} to ${NODE_MAJORS[0]}`);
    expect((error as ConfigError).hint).toContain('environment.node_version');
    expect((error as ConfigError).kind).toBe('permanent');
  });

  it('runs each workspace package under a marker when the root hands its tests over (npm workspaces, globs and exclusions)', async () => {
    const made = repo('node-repo');
    const pkg = (scripts: Record<string, string>): string => JSON.stringify({ name: 'p', scripts });
    made.commit({
      'package.json': JSON.stringify({ name: 'mono', workspaces: ['packages/*', 'tools/**', '!packages/skip'], scripts: { test: 'npm run build && npm test --workspaces --if-present', build: 'tsc -b' } }),
      'packages/a/package.json': pkg({ test: 'jest' }),
      'packages/b/package.json': pkg({ test: 'vitest run' }),
      'packages/skip/package.json': pkg({ test: 'jest' }),
      'packages/nodocs/package.json': pkg({ build: 'tsc' }),
      'packages/a/node_modules/dep/package.json': pkg({ test: 'jest' }),
      'tools/deep/cli/package.json': pkg({ test: 'mocha' }),
      'docs/package.json': pkg({ test: 'jest' }),
    });
    const spec = await detectEnvironment(made.source(), defaults);
    const section = (parser: string, dir: string, command: string): string => `echo '>>>>> Section ${parser} ${dir}'; (cd '${dir}' && ${command}) || rc=1`;
    expect(spec).toMatchObject({
      test: [
        'export PATH="$PWD/node_modules/.bin:$PATH" && tsc -b || exit 1',
        'rc=0',
        section('jest', 'packages/a', 'npm test -- --ci --verbose'),
        section('vitest', 'packages/b', 'npm test -- --run --reporter=verbose'),
        section('mocha', 'tools/deep/cli', 'npm test -- --reporter spec'),
        'exit $rc',
      ].join('; '),
      logParser: 'workspaces',
      origin: { test: 'detection' },
    });
  });

  it('reads pnpm-workspace.yaml, yarn 1 `{ packages }` and lerna.json, and keeps a root runner without reading the packages', async () => {
    const pkg = JSON.stringify({ name: 'p', scripts: { test: 'tap' }, devDependencies: { tap: '^16.3.0' } });
    const pnpm = repo('node-repo');
    pnpm.commit({
      'package.json': JSON.stringify({ name: 'mono', scripts: { test: 'pnpm -r test' } }),
      'pnpm-lock.yaml': 'lockfileVersion: 9\n',
      'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n  - '!apps/legacy'\n",
      'apps/web/package.json': pkg,
      'apps/legacy/package.json': pkg,
    });
    expect(await detectEnvironment(pnpm.source(), defaults)).toMatchObject({
      packageManager: 'pnpm',
      test: `export PATH="$PWD/node_modules/.bin:$PATH"; rc=0; echo '>>>>> Section tap apps/web'; (cd 'apps/web' && pnpm test --reporter=tap --no-coverage) || rc=1; exit $rc`,
      logParser: 'workspaces',
    });

    const yarn = repo('node-repo');
    yarn.commit({
      'package.json': JSON.stringify({ name: 'mono', workspaces: { packages: ['libs/*'], nohoist: ['**/x'] } }),
      'yarn.lock': '# yarn\n',
      'libs/one/package.json': pkg,
    });
    expect(await detectEnvironment(yarn.source(), defaults)).toMatchObject({ packageManager: 'yarn', logParser: 'workspaces' });

    const lerna = repo('node-repo');
    lerna.commit({
      'package.json': JSON.stringify({ name: 'mono', scripts: { test: 'lerna run test' } }),
      'lerna.json': JSON.stringify({ version: '1.0.0' }),
      'packages/one/package.json': pkg,
      'packages/broken/package.json': '{ not json',
    });
    expect((await detectEnvironment(lerna.source(), defaults)).test).toContain(`(cd 'packages/one' && npm test -- --reporter=tap --no-coverage) || rc=1; exit $rc`);

    const projects = repo('node-repo');
    projects.commit({
      'package.json': JSON.stringify({ name: 'mono', workspaces: ['packages/*'], scripts: { test: 'jest' }, jest: { projects: ['<rootDir>/packages/*'] } }),
      'packages/one/package.json': pkg,
    });
    expect(await detectEnvironment(projects.source(), defaults)).toMatchObject({ test: 'npm test -- --ci --verbose', logParser: 'jest' });
  });

  it('rejects a node_version that is no version', async () => {
    await expect(detectEnvironment(repo('node-repo').source(), { ...defaults, node_version: 'banana' })).rejects.toThrow(
      /environment\.node_version: "banana"/,
    );
  });
});

describe('Node versions', () => {
  it('parses .nvmrc spellings', () => {
    expect(parseNodeVersionLoose('v20.11.1')).toBe(20);
    expect(parseNodeVersionLoose('18')).toBe(18);
    expect(parseNodeVersionLoose('lts/iron')).toBe(20);
    expect(parseNodeVersionLoose('lts/*')).toBe(DEFAULT_NODE_MAJOR);
    expect(parseNodeVersionLoose('whatever')).toBeUndefined();
  });

  it('prefers the default major when engines allow it, else the newest allowed major with a pinned release', () => {
    expect(majorForRange('>=14')).toBe(DEFAULT_NODE_MAJOR);
    // Majors are judged by their pinned release: 20.0.x is older than the pin.
    expect(majorForRange('20.0.x')).toBe(DEFAULT_NODE_MAJOR);
    expect(majorForRange(`>=${NODE_MAJORS[0]}`)).toBe(NODE_MAJORS[0]);
    expect(majorForRange('^18 || ^20')).toBe(20);
    expect(majorForRange('>=20.17.0 <21')).toBe(20);
    expect(majorForRange('16.x')).toBe(16);
  });
});

describe('environment key', () => {
  const base = { tag: 'b', key: 'base-key' };
  const spec = {
    language: 'node' as const,
    baseImage: 'auto',
    nodeMajor: DEFAULT_NODE_MAJOR,
    packageManager: 'npm' as const,
    setup: ['npm ci'],
    test: 'npm test',
    logParser: 'tap',
    timeoutMs: 1,
    manifests: { 'package.json': 'aa', 'package-lock.json': 'bb' },
    origin: { setup: 'detection' as const, test: 'detection' as const },
  };

  it('depends on the base, the manifests, the setup commands and the Node version only', () => {
    const key = environmentKey(base, spec);
    expect(environmentKey(base, { ...spec, test: 'other', timeoutMs: 5, origin: { setup: 'configuration', test: 'configuration' } })).toBe(key);
    expect(environmentKey(base, { ...spec, manifests: { 'package-lock.json': 'bb', 'package.json': 'aa' } })).toBe(key);
    expect(environmentKey({ ...base, key: 'other' }, spec)).not.toBe(key);
    expect(environmentKey(base, { ...spec, manifests: { ...spec.manifests, 'package-lock.json': 'cc' } })).not.toBe(key);
    expect(environmentKey(base, { ...spec, setup: ['npm install'] })).not.toBe(key);
    expect(environmentKey(base, { ...spec, nodeMajor: 20 })).not.toBe(key);
  });

  it('installs another Node major as root before the setup commands, then drops tracked files', () => {
    const steps = setupSteps({ ...spec, nodeMajor: 20 });
    const release = nodeRelease(20);
    expect(steps[0]).toMatchObject({ root: true });
    // The exact pinned versions, not "the newest 20.x" of the day.
    expect(steps[0]?.command).toContain(
      `swe-bot-install-node --node ${release.node} --npm ${release.npm} --corepack ${release.corepack} /opt/node-20`,
    );
    expect(release.node).toMatch(/^20\.\d+\.\d+$/);
    expect(steps[1]).toEqual({ command: 'npm ci', root: false, repository: true });
    expect(steps.at(-1)?.command).toContain('git ls-files -z');
    expect(setupSteps(spec)[0]).toEqual({ command: 'npm ci', root: false, repository: true });
  });
});
