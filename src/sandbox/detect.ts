/**
 * What a repository needs, read from its files at a commit: the language,
 * the Node.js version, the package manager, the setup (install) commands and
 * the test command. `.github/swe-bot.yml`'s `environment:` section overrides
 * any of them.
 */
import path from 'node:path';
import semver from 'semver';
import type { EnvironmentConfig } from '../config/repo-config.ts';
import { ConfigError } from '../errors.ts';
import { sha256 } from '../util/canonical-json.ts';
import type { Language, PackageManager } from './languages.ts';
import { nodeTestCommand, runsWorkspaces, type WorkspacePackage } from './node-test-command.ts';
import { listFiles, readSourceFile, type SourceRef } from './source.ts';
import { DEFAULT_NODE_MAJOR, NODE_MAJORS, nodeRelease } from './toolchains.ts';
import { workspacePackages, workspacePatterns } from './workspaces.ts';


export interface EnvironmentSpec {
  language: Language;
  /** `auto` (swe-bot's base image for the language) or an image name. */
  baseImage: string;
  /** Node.js major for node repositories. */
  nodeMajor: number | undefined;
  packageManager: PackageManager | undefined;
  /** Run once per environment image, in /testbed, through the egress proxy (build-egress.ts). */
  setup: string[];
  /** Run in an instance to test the repository. */
  test: string;
  logParser: string;
  timeoutMs: number;
  /** Dependency manifests and lock files: path → sha256 of the content. */
  manifests: Record<string, string>;
  /**
   * Hosts the setup commands may reach besides the defaults (`environment.egress_allow`).
   * Not part of the environment's key: a build it would change is one that failed.
   */
  egressAllow?: string[];
  /** Where the setup and test commands came from, for the reports (not part of the environment's key). */
  origin: { setup: RecipeOrigin; test: RecipeOrigin };
}

/**
 * `configuration`: `.github/swe-bot.yml` (or a dataset's spec) named it;
 * `detection`: read from the repository's files; `setup-agent`: proposed by
 * the model and confirmed by a baseline that counts (src/jobs/setup-agent.ts).
 */
export type RecipeOrigin = 'configuration' | 'detection' | 'setup-agent';

/** Files whose content decides what gets installed (any depth ≤ 3, outside node_modules). */
const NODE_MANIFESTS = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  '.yarnrc.yml',
  '.yarnrc',
  '.npmrc',
  '.nvmrc',
  '.node-version',
  'bun.lockb',
]);
const PYTHON_MANIFESTS = /^(pyproject\.toml|setup\.py|setup\.cfg|Pipfile|Pipfile\.lock|poetry\.lock|uv\.lock|(.*[-_])?requirements([-_.].*)?\.(txt|in))$/;
const PYTHON_MARKERS = /^(pyproject\.toml|setup\.py|setup\.cfg|requirements.*\.txt|pytest\.ini|tox\.ini|conftest\.py|Pipfile)$/;
const MAX_MANIFEST_DEPTH = 3;

/** Codenames `.nvmrc` may use (`lts/iron`). */
const LTS_CODENAMES: Record<string, number> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

interface PackageJson {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: { node?: string };
  packageManager?: string;
  workspaces?: unknown;
}

export async function detectEnvironment(source: SourceRef, overrides: EnvironmentConfig): Promise<EnvironmentSpec> {
  const files = await listFiles(source);
  const root = new Set(files.filter((file) => !file.includes('/')));
  const language = overrides.language !== 'auto' ? overrides.language : detectLanguage(root);
  const manifestFiles = files.filter((file) => {
    if (file.split('/').length > MAX_MANIFEST_DEPTH || file.includes('node_modules/')) return false;
    const base = path.posix.basename(file);
    return language === 'node' ? NODE_MANIFESTS.has(base) : PYTHON_MANIFESTS.test(base);
  });
  const manifests: Record<string, string> = {};
  for (const file of manifestFiles.sort()) {
    const content = await readSourceFile(source, file);
    if (content !== undefined) manifests[file] = sha256(content);
  }
  const detected =
    language === 'node' ? await detectNode(source, files, root, overrides) : await detectPython(source, files, root);
  return {
    language,
    baseImage: overrides.base_image,
    nodeMajor: detected.nodeMajor,
    packageManager: detected.packageManager,
    setup: overrides.setup.length > 0 ? overrides.setup : detected.setup,
    test: overrides.test !== 'auto' ? overrides.test : detected.test,
    logParser: overrides.log_parser !== 'auto' ? overrides.log_parser : detected.logParser,
    timeoutMs: Math.round(overrides.timeout_minutes * 60_000),
    ...(overrides.egress_allow.length > 0 ? { egressAllow: overrides.egress_allow } : {}),
    manifests,
    origin: {
      setup: overrides.setup.length > 0 ? 'configuration' : 'detection',
      test: overrides.test !== 'auto' ? 'configuration' : 'detection',
    },
  };
}

function detectLanguage(root: Set<string>): Language {
  if (root.has('package.json')) return 'node';
  for (const file of root) if (PYTHON_MARKERS.test(file)) return 'python';
  throw new ConfigError(
    'Cannot tell the language of this repository (no package.json, pyproject.toml, setup.py or requirements.txt at its root): ' +
      'set environment.language, environment.setup and environment.test in .github/swe-bot.yml',
  );
}

interface Detected {
  nodeMajor: number | undefined;
  packageManager: PackageManager | undefined;
  setup: string[];
  test: string;
  logParser: string;
}

async function detectNode(source: SourceRef, files: readonly string[], root: Set<string>, overrides: EnvironmentConfig): Promise<Detected> {
  const pkg = await readJson<PackageJson>(source, 'package.json');
  const manager = packageManager(pkg, root);
  const nodeMajor =
    overrides.node_version !== 'auto'
      ? parseNodeVersion(overrides.node_version, 'environment.node_version')
      : await nodeMajorFromFiles(source, root, pkg);
  // Every major an environment can get has a pinned release (toolchains.ts):
  // one without fails here, before anything is built.
  nodeRelease(nodeMajor);
  const locked = {
    npm: root.has('package-lock.json') || root.has('npm-shrinkwrap.json'),
    pnpm: root.has('pnpm-lock.yaml'),
    yarn: root.has('yarn.lock'),
  }[manager];
  const yarnBerry = root.has('.yarnrc.yml') || /^yarn@(?:[2-9]|\d{2,})/.test(pkg?.packageManager ?? '');
  const setup = {
    npm: [locked ? 'npm ci' : 'npm install'],
    pnpm: [locked ? 'pnpm install --frozen-lockfile' : 'pnpm install'],
    yarn: [locked ? (yarnBerry ? 'yarn install --immutable' : 'yarn install --frozen-lockfile') : 'yarn install'],
  }[manager];
  // A monorepo's packages are read only when the root hands its tests to them (or has none).
  let workspaces: WorkspacePackage[] = [];
  if (runsWorkspaces(pkg?.scripts)) {
    const patterns = await workspacePatterns(source, root, pkg?.workspaces);
    if (patterns.length > 0) workspaces = await workspacePackages(source, files, patterns);
  }
  const declared = { ...pkg?.dependencies, ...pkg?.devDependencies };
  const { test, logParser } = nodeTestCommand(manager, pkg?.scripts, root.has('test'), workspaces, declared);
  return { nodeMajor, packageManager: manager, setup, test, logParser };
}

function packageManager(pkg: PackageJson | undefined, root: Set<string>): PackageManager {
  const declared = /^(npm|pnpm|yarn)@/.exec(pkg?.packageManager ?? '')?.[1];
  if (declared) return declared as PackageManager;
  if (root.has('pnpm-lock.yaml')) return 'pnpm';
  if (root.has('yarn.lock')) return 'yarn';
  return 'npm';
}

async function nodeMajorFromFiles(source: SourceRef, root: Set<string>, pkg: PackageJson | undefined): Promise<number> {
  for (const file of ['.nvmrc', '.node-version']) {
    if (!root.has(file)) continue;
    const text = (await readSourceFile(source, file))?.toString('utf8').trim();
    if (text) {
      const major = parseNodeVersionLoose(text);
      if (major !== undefined) return major;
    }
  }
  const engines = pkg?.engines?.node;
  if (engines && semver.validRange(engines)) return majorForRange(engines);
  return DEFAULT_NODE_MAJOR;
}

/**
 * The default major when the range allows it, else the newest major with a
 * pinned release that it allows (each is judged by its pinned version, so
 * `>=20.19` rules out a 20.x pin older than that).
 */
export function majorForRange(range: string): number {
  const allows = (major: number): boolean => semver.satisfies(nodeRelease(major).node, range);
  if (allows(DEFAULT_NODE_MAJOR)) return DEFAULT_NODE_MAJOR;
  return NODE_MAJORS.find(allows) ?? DEFAULT_NODE_MAJOR;
}

/** `20`, `v20.11.1`, `lts/iron`, `lts/*`, `node` → a major; undefined when unreadable. */
export function parseNodeVersionLoose(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'node' || value === 'lts/*' || value === 'lts' || value === 'stable') return DEFAULT_NODE_MAJOR;
  const codename = /^lts\/(\w+)$/.exec(value)?.[1];
  if (codename !== undefined) return LTS_CODENAMES[codename];
  const major = /^v?(\d+)(?:\.\d+){0,2}$/.exec(value)?.[1];
  return major === undefined ? undefined : Number(major);
}

function parseNodeVersion(text: string, field: string): number {
  const major = parseNodeVersionLoose(text);
  if (major === undefined || major < 4) {
    throw new ConfigError(`${field}: "${text}" is not a Node.js version (use e.g. 20, 22.3 or lts/iron)`);
  }
  return major;
}

async function detectPython(source: SourceRef, files: readonly string[], root: Set<string>): Promise<Detected> {
  const setup: string[] = [];
  const requirements = [...root].filter((file) => /^(?:(?:dev|test)[-_])?requirements(?:[-_](?:dev|test))?\.txt$/.test(file)).sort();
  for (const file of requirements) setup.push(`pip install -r ${file}`);
  let installable = root.has('setup.py') || root.has('setup.cfg');
  if (root.has('pyproject.toml')) {
    const text = (await readSourceFile(source, 'pyproject.toml'))?.toString('utf8') ?? '';
    // A pyproject.toml with only tool settings (pytest, ruff) is no package.
    if (/^\[(?:project|build-system|tool\.poetry)\]/m.test(text)) installable = true;
  }
  if (installable) setup.push('pip install -e .');
  const { test, logParser } = await pythonTestCommand(source, files);
  return { nodeMajor: undefined, packageManager: undefined, setup, test, logParser };
}

const PYTEST = { test: 'python -m pytest -rA', logParser: 'pytest' };
/** Files where a project declares its tools, dependencies or CI steps: pytest named in one is pytest in use. */
const DECLARES = /^(?:pyproject\.toml|setup\.py|setup\.cfg|tox\.ini|noxfile\.py|Pipfile|Makefile|(?:.*[-_])?requirements(?:[-_.].*)?\.(?:txt|in))$/;
/** unittest's default pattern (`test*.py`) and the other common spelling. */
const TEST_MODULE = /(?:^|\/)(?:test[^/]*|[^/]*_test)\.py$/;
const MAX_READ = 40;

/**
 * pytest (`-rA`) unless the repository shows no sign of it and its test
 * modules use unittest: pytest runs unittest suites too, but the base
 * image's pytest is the only one there, and a repository that never asked
 * for pytest may not work under it (its own runner is unittest). Signs of
 * pytest: a conftest.py or pytest.ini anywhere, `pytest` in a manifest,
 * tox.ini, noxfile, Makefile or CI workflow, or a test module importing it.
 * unittest then runs from the tests folder (`tests/`, else `test/`): a folder
 * without `__init__.py` is no package, and discovery from the root would not
 * enter it, so it becomes the start folder (`-s tests`, modules named from
 * there); a package is named from the root (`-s tests -t .`).
 */
async function pythonTestCommand(source: SourceRef, files: readonly string[]): Promise<{ test: string; logParser: string }> {
  const inTree = files.filter((file) => !/(?:^|\/)(?:node_modules|\.venv|venv|site-packages)\//.test(file));
  if (inTree.some((file) => /(?:^|\/)(?:conftest\.py|pytest\.ini)$/.test(file))) return PYTEST;
  const declaring = inTree
    .filter((file) => (file.split('/').length <= 2 && DECLARES.test(path.posix.basename(file))) || /^\.github\/workflows\/[^/]+\.ya?ml$/.test(file))
    .slice(0, MAX_READ);
  for (const file of declaring) {
    if (/\bpytest\b/.test((await readSourceFile(source, file))?.toString('utf8') ?? '')) return PYTEST;
  }
  let unittest = false;
  for (const file of inTree.filter((file) => TEST_MODULE.test(file)).slice(0, MAX_READ)) {
    const text = (await readSourceFile(source, file))?.toString('utf8') ?? '';
    if (/^\s*(?:import|from)\s+pytest\b/m.test(text)) return PYTEST;
    if (/^\s*(?:import|from)\s+unittest\b/m.test(text)) unittest = true;
  }
  if (!unittest) return PYTEST;
  const start = ['tests', 'test'].find((dir) => inTree.some((file) => file.startsWith(`${dir}/`) && file.endsWith('.py')));
  const modules = inTree.filter((file) => (start === undefined ? !file.includes('/') : file.startsWith(`${start}/`)) && TEST_MODULE.test(file));
  // Discovery's default pattern is `test*.py`: a suite of `x_test.py` modules only needs its own.
  const pattern = modules.length > 0 && modules.every((file) => !/(?:^|\/)test[^/]*\.py$/.test(file)) ? " -p '*_test.py'" : '';
  const from = start === undefined ? '' : inTree.includes(`${start}/__init__.py`) ? ` -s ${start} -t .` : ` -s ${start}`;
  return { test: `python -m unittest discover -v${from}${pattern}`, logParser: 'unittest' };
}

async function readJson<T>(source: SourceRef, file: string): Promise<T | undefined> {
  const content = await readSourceFile(source, file);
  if (content === undefined) return undefined;
  try {
    return JSON.parse(content.toString('utf8')) as T;
  } catch (error) {
    throw new ConfigError(`${file} at ${source.commit.slice(0, 12)} is not valid JSON: ${String(error)}`, { cause: error });
  }
}
