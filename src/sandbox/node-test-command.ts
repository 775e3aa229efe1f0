/**
 * The test command of a Node repository nobody configured, chosen so that
 * the runner's report names every test: the harness can only grade tests it
 * can name, and several runners' default reports do not name them (jest
 * prints one line per passing file once there are several files; vitest
 * names only the tests of failing files).
 *
 * From the `test` script (package.json):
 * - a script that is one call of a known runner, with no `pretest` hook, is
 *   kept as the repository wrote it, the reporter options passed through
 *   (`npm test -- --ci --verbose`, `yarn test --ci --verbose`);
 * - otherwise (`jest && npm run test-typings`, `yarn lint && tape … | tap-spec`,
 *   a `pretest` hook) the runner's own step is run, with the steps before it
 *   (the hook's included) that are not linters or type checkers (a build stays), the
 *   runner binary found in node_modules/.bin, and nothing piped after it
 *   (a pretty-printer would hide the report);
 * - a script naming no known runner is run as it is, parsed by `auto`.
 * `npm run <name>` steps are followed into their scripts (three levels).
 */
import type { PackageManager } from './languages.ts';

export interface NodeTestCommand {
  test: string;
  /** A parser name (src/harness/parsers). */
  logParser: string;
}

interface Runner {
  /** Matches a step that calls the runner (after environment assignments and `npx`). */
  call: RegExp;
  /** Options that make it name every test. */
  options: string;
  logParser: string;
}

/** The runners detection knows, tried in this order on each step. */
const RUNNERS: Runner[] = [
  // --ci: no snapshot is written; --verbose: one line per test, whatever the number of files.
  { call: /^jest\b/, options: '--ci --verbose', logParser: 'jest' },
  // --run: never watch mode; verbose: every test with its whole name.
  { call: /^vitest\b/, options: '--run --reporter=verbose', logParser: 'vitest' },
  { call: /^mocha\b/, options: '--reporter spec', logParser: 'mocha' },
  { call: /^(?:tape|tap-run)\b/, options: '', logParser: 'tape' },
  { call: /^node\s+(?:[^|;&]*\s)?--test\b/, options: '--test-reporter=tap', logParser: 'tap' },
];

/** Steps that check style or types: a test run does not need them, and a failing lint would hide the tests. */
const CHECK_STEP = /^(?:eslint|prettier|standard|xo|tsd|tslint|stylelint|markdownlint|tsc\b.*--noEmit|dtslint|attw|publint)\b/;
const RUN_SCRIPT = /^(?:npm\s+run(?:-script)?|pnpm(?:\s+run)?|yarn(?:\s+run)?)\s+([\w:.-]+)\s*$/;
const MAX_SCRIPT_DEPTH = 3;

/** The placeholder `npm init` writes; it fails on purpose. */
const NPM_DEFAULT_TEST = /no test specified/;

export function nodeTestCommand(manager: PackageManager, scripts: Record<string, string> | undefined, hasTestDir: boolean): NodeTestCommand {
  const script = scripts?.test;
  if (script === undefined || NPM_DEFAULT_TEST.test(script)) {
    return hasTestDir ? { test: 'node --test --test-reporter=tap', logParser: 'tap' } : { test: `${manager} test`, logParser: 'auto' };
  }
  // A `pretest` hook runs first under `npm test`: its build steps stay, its linters go, as the script's own.
  const pretest = scripts?.pretest;
  const steps = [...(pretest === undefined ? [] : expand(pretest, scripts ?? {}, 0)), ...expand(script, scripts ?? {}, 0)];
  const at = steps.findIndex((step) => runnerOf(step) !== undefined);
  const runner = at === -1 ? undefined : runnerOf(steps[at] ?? '');
  if (runner === undefined) return { test: `${manager} test`, logParser: 'auto' };
  const own = steps[at] ?? '';
  const simple = splitSteps(script).length === 1 && !script.includes('|') && scripts?.pretest === undefined && runnerOf(script.trim()) !== undefined;
  if (simple) {
    // npm passes what follows `--` on to the script; yarn and pnpm pass what follows the script's name.
    const passed = runner.options === '' || alreadyHas(own, runner) ? '' : `${manager === 'npm' ? ' --' : ''} ${runner.options}`;
    return { test: `${manager} test${passed}`, logParser: runner.logParser };
  }
  const before = steps.slice(0, at).filter((step) => !CHECK_STEP.test(withoutPrefix(step)));
  const call = withoutPipe(own);
  const withOptions = runner.options === '' || alreadyHas(call, runner) ? call : `${call} ${runner.options}`;
  // The repository's binaries first, as `npm test` would put them.
  const test = ['export PATH="$PWD/node_modules/.bin:$PATH"', ...before, withOptions].join(' && ');
  return { test, logParser: runner.logParser };
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
  if (runner.logParser === 'jest') return /--verbose\b/.test(step);
  if (runner.logParser === 'vitest') return /--reporter[= ]/.test(step);
  if (runner.logParser === 'mocha') return /(?:--reporter|-R)[= ]/.test(step);
  if (runner.logParser === 'tap') return /--test-reporter/.test(step);
  return false;
}
