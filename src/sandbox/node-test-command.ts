/**
 * The test command of a Node repository nobody configured, chosen so that
 * the runner's report names every test: the harness can only grade tests it
 * can name, and several runners' default reports do not name them (jest
 * prints one line per passing file once there are several files; vitest
 * names only the tests of failing files).
 *
 * From the `test` script (package.json):
 * - a script that is one call of a known runner, with no `pretest` or `posttest` hook, is
 *   kept as the repository wrote it, the reporter options passed through
 *   (`npm test -- --ci --verbose`, `yarn test --ci --verbose`);
 * - otherwise (`jest && npm run test-typings`, `yarn lint && tape … | tap-spec`,
 *   a `pretest` or `posttest` hook) the runner's own step is run, with the steps before it
 *   (the hook's included) that are not linters or type checkers (a build stays), the
 *   runner binary found in node_modules/.bin, and nothing piped after it
 *   (a pretty-printer would hide the report);
 * - a script naming no known runner is run as it is, parsed by `auto`.
 * `npm run <name>` steps are followed into their scripts (three levels).
 *
 * A monorepo (npm or yarn `workspaces`, `pnpm-workspace.yaml`, `lerna.json`)
 * whose root script hands the tests to its packages (`npm test --workspaces`,
 * `pnpm -r test`, `lerna run test`, `turbo run test`, `yarn workspaces run
 * test`, `yarn workspaces foreach -A run test`), or that has no test script of
 * its own, runs each package's script in the package's folder, one after the
 * other, the command for each chosen as above; a marker line before each
 * (src/util/log-sections.ts) names the package's folder and its parser, and
 * the `workspaces` parser puts the folder before each test name, so two
 * packages' `test/index.test.js` stay apart. The root script's steps before
 * the hand-over (a build) run first; packages without the script are left
 * out, as the package managers do. What this gives up: the tools' ordering
 * and caching (turbo's `dependsOn: ["^build"]` builds are not run unless the
 * root script runs them first) and any package filter (a filtered hand-over
 * — `--filter`, `--scope`, `-w` — is run as the script is, parsed by `auto`).
 * A root script that calls a runner itself (jest `projects`, a vitest
 * workspace) covers the packages in one run and is kept as above.
 */
import semver from 'semver';
import { sectionMarker } from '../util/log-sections.ts';
import { shellQuote } from '../util/shell-quote.ts';
import type { PackageManager } from './languages.ts';

export interface NodeTestCommand {
  test: string;
  /** A parser name (src/harness/parsers). */
  logParser: string;
}

/** Dependency name → version range, as package.json declares them (dependencies and devDependencies). */
export type Declared = Readonly<Record<string, string>>;

/** A package of a monorepo, as detection read it. */
export interface WorkspacePackage {
  /** The package's folder, relative to the repository's root (`packages/core`). */
  dir: string;
  scripts: Record<string, string> | undefined;
  /** Its own dependencies; the root's count too (npm and yarn hoist them there). */
  declared?: Declared;
}

interface Runner {
  /** Matches a step that calls the runner (after environment assignments and `npx`). */
  call: RegExp;
  /** Options that make it name every test, for the versions the package declares. */
  options: string | ((declared: Declared) => string);
  /** Matches a step that already picks a reporter of its own that names tests: then `options` are not added. */
  has?: RegExp;
  logParser: string;
}

/** The runners detection knows, tried in this order on each step. */
const RUNNERS: Runner[] = [
  // --ci: no snapshot is written; --verbose: one line per test, whatever the number of files.
  { call: /^jest\b/, options: '--ci --verbose', has: /--verbose\b/, logParser: 'jest' },
  // --run: never watch mode; verbose: every test with its whole name.
  { call: /^vitest\b/, options: '--run --reporter=verbose', has: /--reporter[= ]/, logParser: 'vitest' },
  { call: /^mocha\b/, options: '--reporter spec', has: /(?:--reporter|-R)[= ]/, logParser: 'mocha' },
  { call: /^(?:tape|tap-run)\b/, options: '', logParser: 'tape' },
  { call: /^node\s+(?:[^|;&]*\s)?--test\b/, options: '--test-reporter=tap', has: /--test-reporter/, logParser: 'tap' },
  // ava's default report names tests in a shape no parser reads; its TAP report is flat TAP. Its titles
  // start with the file only when more than one file runs: a suite that grows from one file to two renames its tests.
  { call: /^ava(?:\s|$)/, options: '--tap', has: /(?:^|\s)(?:--tap|-t)(?:\s|$)/, logParser: 'tap' },
  // node-tap: always passed, since the last reporter named wins and coverage needs its flag too.
  { call: /^tap(?:\s|$)/, options: nodeTapOptions, logParser: 'tap' },
  // uvu has no reporter option: its own report is read suite by suite (src/harness/parsers/uvu.ts).
  { call: /^uvu(?:\s|$)/, options: '', logParser: 'uvu' },
];

/**
 * node-tap's options for the release its declared range installs (npm takes
 * the newest the range allows; no range, or one that is not semver: the
 * newest). `--reporter=tap` is raw TAP from tap 12 to 21 (tap 18 changed the
 * default reporter, not this option). Coverage is switched off: tap 15 on
 * fails a run whose tests all pass when coverage is under 100%, so a fix that
 * adds an uncovered line would make its run look broken, and coverage is no
 * test. The switch is `--no-coverage` up to tap 16, `--disable-coverage` from
 * tap 18 (each release refuses the other's).
 */
function nodeTapOptions(declared: Declared): string {
  const range = declared.tap;
  const before18 = range !== undefined && semver.validRange(range) !== null && !semver.intersects(range, '>=18.0.0-0');
  return `--reporter=tap ${before18 ? '--no-coverage' : '--disable-coverage'}`;
}

/** Steps that check style or types: a test run does not need them, and a failing lint would hide the tests. */
const CHECK_STEP = /^(?:eslint|prettier|standard|xo|tsd|tslint|stylelint|markdownlint|tsc\b.*--noEmit|dtslint|attw|publint)\b/;
/** Script names of the same kind, handed to the packages (`lerna run lint`). */
const CHECK_SCRIPT = /^(?:lint|format|prettier|eslint|typecheck|type-check|check-types|types|tsc)(?:[:-]|$)/;
const RUN_SCRIPT = /^(?:npm\s+run(?:-script)?|pnpm(?:\s+run)?|yarn(?:\s+run)?)\s+([\w:.-]+)\s*$/;
const MAX_SCRIPT_DEPTH = 3;

/** The placeholder `npm init` writes; it fails on purpose. */
const NPM_DEFAULT_TEST = /no test specified/;

export function nodeTestCommand(
  manager: PackageManager,
  scripts: Record<string, string> | undefined,
  hasTestDir: boolean,
  workspaces: readonly WorkspacePackage[] = [],
  declared: Declared = {},
): NodeTestCommand {
  if (workspaces.length > 0) {
    const handOver = workspaceHandOver(scripts);
    const each = handOver === undefined ? undefined : workspacesCommand(manager, handOver, workspaces, declared);
    if (each !== undefined) return each;
  }
  const own = scriptCommand(manager, scripts, 'test', declared);
  if (own !== undefined) return own;
  if (!usable(scripts?.test) && hasTestDir) return { test: 'node --test --test-reporter=tap', logParser: 'tap' };
  return { test: `${manager} test`, logParser: 'auto' };
}

/**
 * Whether the repository's tests would be looked for in its packages: its
 * test script hands them over, or it has none. Detection reads the
 * packages' manifests only then.
 */
export function runsWorkspaces(scripts: Record<string, string> | undefined): boolean {
  return workspaceHandOver(scripts) !== undefined;
}

function usable(script: string | undefined): script is string {
  return script !== undefined && !NPM_DEFAULT_TEST.test(script);
}

/** How the root gives its tests to the packages: which script they run, after which root steps. */
interface HandOver {
  script: string;
  before: string[];
}

function workspaceHandOver(scripts: Record<string, string> | undefined): HandOver | undefined {
  const script = scripts?.test;
  if (!usable(script)) return { script: 'test', before: [] };
  const steps = stepsOf(scripts ?? {}, 'test');
  for (const [at, step] of steps.entries()) {
    // The root's own runner covers the packages (jest projects, a vitest workspace): no hand-over.
    if (runnerOf(step) !== undefined) return undefined;
    const handed = handedScript(withoutPrefix(withoutPipe(step)));
    if (handed === undefined || !/test/i.test(handed)) continue;
    return { script: handed, before: steps.slice(0, at).filter((before) => !isCheck(before)) };
  }
  return undefined;
}

/**
 * The script a step runs in every package, or undefined when the step does
 * not hand a script to all of them (a filter names some).
 */
function handedScript(step: string): string | undefined {
  const words = step.split(/\s+/);
  const tool = words[0];
  const has = (...options: string[]): boolean => words.some((word) => options.some((option) => word === option || word.startsWith(`${option}=`)));
  /** The words that are not options, after the tool (and its sub-command words). */
  const args = (skip: number): string[] => words.slice(skip).filter((word) => !word.startsWith('-'));
  if (tool === 'npm') {
    if (!has('--workspaces', '-ws') || has('--workspace', '-w')) return undefined;
    const rest = args(1);
    if (['test', 't', 'tst'].includes(rest[0] ?? '')) return 'test';
    return ['run', 'run-script', 'rum', 'urn'].includes(rest[0] ?? '') ? rest[1] : undefined;
  }
  if (tool === 'pnpm') {
    if (!has('-r', '--recursive') || has('--filter', '-F')) return undefined;
    const rest = args(1);
    if (['test', 't'].includes(rest[0] ?? '')) return 'test';
    return rest[0] === 'run' ? rest[1] : undefined;
  }
  if (tool === 'yarn' && words[1] === 'workspaces') {
    if (has('--include', '--exclude', '--from', '--since')) return undefined;
    if (words[2] === 'run') return words[3]; // yarn 1: `yarn workspaces run test`
    if (words[2] !== 'foreach') return undefined;
    // An option's value (`-j 4`) reads as a word: the script is the one after `run`, else the last word.
    const rest = args(3);
    const run = rest.indexOf('run');
    return run === -1 ? rest.at(-1) : rest[run + 1];
  }
  if (tool === 'lerna') {
    if (words[1] !== 'run' || has('--scope', '--ignore', '--since')) return undefined;
    return args(2)[0];
  }
  if (tool === 'turbo') {
    if (has('--filter', '-F', '--affected')) return undefined;
    // The tasks are the words before the first option (`turbo run test --concurrency 1`).
    const first = words.findIndex((word, at) => at > 0 && word.startsWith('-'));
    const rest = words.slice(1, first === -1 ? undefined : first);
    const tasks = rest[0] === 'run' ? rest.slice(1) : rest;
    // `turbo run build test`: the packages' tests after their builds is not one script.
    return tasks.length === 1 ? tasks[0] : undefined;
  }
  return undefined;
}

/** Each package that has the script, run in its folder under a marker; undefined when none has it. */
function workspacesCommand(
  manager: PackageManager,
  handOver: HandOver,
  workspaces: readonly WorkspacePackage[],
  declared: Declared,
): NodeTestCommand | undefined {
  const runs: string[] = [];
  for (const pkg of [...workspaces].sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0))) {
    const command = scriptCommand(manager, pkg.scripts, handOver.script, { ...declared, ...pkg.declared });
    if (command === undefined) continue;
    runs.push(`echo ${shellQuote(sectionMarker(command.logParser, pkg.dir))}; (cd ${shellQuote(pkg.dir)} && ${command.test}) || rc=1`);
  }
  if (runs.length === 0) return undefined;
  // The root's binaries (hoisted there by npm and yarn) for the root's steps and every package's.
  const setup = [PATH_FIRST, ...handOver.before].join(' && ');
  const test = `${setup}${handOver.before.length > 0 ? ' || exit 1' : ''}; rc=0; ${runs.join('; ')}; exit $rc`;
  return { test, logParser: 'workspaces' };
}

/** The repository's binaries first, as `npm test` would put them. */
const PATH_FIRST = 'export PATH="$PWD/node_modules/.bin:$PATH"';

/**
 * The command that runs script `name` of a package (its `pre<name>` hook
 * included) with the options that name every test; undefined when the
 * package has no such script (or `npm init`'s placeholder).
 */
function scriptCommand(manager: PackageManager, scripts: Record<string, string> | undefined, name: string, declared: Declared): NodeTestCommand | undefined {
  const script = scripts?.[name];
  if (!usable(script)) return undefined;
  const all = scripts ?? {};
  const runScript = name === 'test' ? `${manager} test` : `${manager} run ${name}`;
  const steps = stepsOf(all, name);
  const at = steps.findIndex((step) => runnerOf(step) !== undefined);
  const runner = at === -1 ? undefined : runnerOf(steps[at] ?? '');
  if (runner === undefined) return { test: runScript, logParser: 'auto' };
  const own = steps[at] ?? '';
  const options = typeof runner.options === 'string' ? runner.options : runner.options(declared);
  // npm runs `pre<name>` before and `post<name>` after the script: a lint or a metadata check there fails a
  // run whose tests all passed (ini 3.0.1's `posttest`), so with either hook the runner step runs alone.
  const hooked = all[`pre${name}`] !== undefined || all[`post${name}`] !== undefined;
  const simple = splitSteps(script).length === 1 && !script.includes('|') && !hooked && runnerOf(script.trim()) !== undefined;
  if (simple) {
    // npm passes what follows `--` on to the script; yarn and pnpm pass what follows the script's name.
    const passed = options === '' || alreadyHas(own, runner) ? '' : `${manager === 'npm' ? ' --' : ''} ${options}`;
    return { test: `${runScript}${passed}`, logParser: runner.logParser };
  }
  const before = steps.slice(0, at).filter((step) => !isCheck(step));
  const call = withoutPipe(own);
  const withOptions = options === '' || alreadyHas(call, runner) ? call : `${call} ${options}`;
  return { test: [PATH_FIRST, ...before, withOptions].join(' && '), logParser: runner.logParser };
}

/** Script `name`'s steps after its `pre<name>` hook's, as `npm run` runs them. */
function stepsOf(scripts: Record<string, string>, name: string): string[] {
  const hook = scripts[`pre${name}`];
  return [...(hook === undefined ? [] : expand(hook, scripts, 0)), ...expand(scripts[name] ?? '', scripts, 0)];
}

/** A linter or type checker, called or handed to the packages. */
function isCheck(step: string): boolean {
  const call = withoutPrefix(step);
  if (CHECK_STEP.test(call)) return true;
  const handed = handedScript(call) ?? RUN_SCRIPT.exec(call)?.[1];
  return handed !== undefined && CHECK_SCRIPT.test(handed);
}

/** The script's steps, `npm run <name>` steps replaced by that script's steps. */
function expand(script: string, scripts: Record<string, string>, depth: number): string[] {
  return splitSteps(script).flatMap((step) => {
    const name = RUN_SCRIPT.exec(step)?.[1];
    const target = name === undefined ? undefined : scripts[name];
    if (target === undefined || depth >= MAX_SCRIPT_DEPTH) return [step];
    // A lint script is dropped whole later on: keep its name visible as one step.
    return CHECK_STEP.test(withoutPrefix(target)) ? [target] : expand(target, scripts, depth + 1);
  });
}

/** `a && b; c || d` → its steps; quotes are respected, nothing else of the shell is. */
export function splitSteps(script: string): string[] {
  const steps: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i += 1) {
    const char = script[i] ?? '';
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      current += char;
      continue;
    }
    if (char === '"' || char === "'") quote = char;
    const two = script.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      steps.push(current);
      current = '';
      i += 1;
      continue;
    }
    if (char === ';') {
      steps.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  steps.push(current);
  return steps.map((step) => step.trim()).filter((step) => step !== '');
}

function runnerOf(step: string): Runner | undefined {
  const call = withoutPrefix(withoutPipe(step));
  return RUNNERS.find((runner) => runner.call.test(call));
}

/** The step without leading `VAR=value` assignments, `cross-env …` and `npx`. */
function withoutPrefix(step: string): string {
  return step.replace(/^(?:(?:cross-env\s+)?(?:\w+=\S*\s+)*)+(?:npx\s+(?:--no-install\s+|-y\s+)?)?/, '').trim();
}

/** The part before the first `|` outside quotes (a reporter prettifier after it). */
function withoutPipe(step: string): string {
  let quote: string | undefined;
  for (let i = 0; i < step.length; i += 1) {
    const char = step[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '|' && step[i + 1] !== '|') return step.slice(0, i).trim();
  }
  return step.trim();
}

/** The step already picks a reporter of its own that names tests (verbose, TAP): leave it. */
function alreadyHas(step: string, runner: Runner): boolean {
  return runner.has?.test(withoutPrefix(step)) ?? false;
}
