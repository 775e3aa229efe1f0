/** Detection reads git objects on the host only: no Docker needed. */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import { ConfigError } from '../../src/errors.ts';
import { detectEnvironment, majorForRange, parseNodeVersionLoose } from '../../src/sandbox/detect.ts';
import { environmentKey, setupSteps } from '../../src/sandbox/env-image.ts';
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
    expect(steps[1]).toEqual({ command: 'npm ci', root: false });
    expect(steps.at(-1)?.command).toContain('git ls-files -z');
    expect(setupSteps(spec)[0]).toEqual({ command: 'npm ci', root: false });
  });
});
