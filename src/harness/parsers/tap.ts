/**
 * TAP 13/14 as the Node runners write it: node:test (`--test-reporter=tap`),
 * node-tap, mocha (`--reporter tap`) and vitest (`--reporter=tap-flat`, and
 * the nested `--reporter=tap`).
 *
 * Rules (../shared/corpus/README.md, "Test names"):
 * - where `# Subtest: NAME` lines exist, a test is a subtest closed by its
 *   own `ok` / `not ok` line at the same indentation (4 spaces per level);
 *   only leaves count (a subtest that contains subtests is a suite), and the
 *   name is the path of subtest names joined with ` > `. `ok` lines that
 *   close no subtest are assertions (node-tap) and do not count, except a
 *   `# SKIP` / `# TODO` line one level inside a subtest that has subtests:
 *   node-tap does not run a skipped or todo subtest and prints it as that
 *   bare line (recorded when its parent closes, after its siblings). Inside a
 *   leaf such a line is a skipped assertion; a file whose only subtests are
 *   skipped is therefore one test named by its path;
 * - without `# Subtest:` lines every `ok` / `not ok N - title` line is a test
 *   named by its title (the ` - ` separator stripped);
 * - `# SKIP` → SKIPPED; `# TODO` → SKIPPED whether the line says `ok` or
 *   `not ok` (as in node:test, a todo test's outcome does not fail the run);
 *   `not ok` → FAILED; `ok` → PASSED;
 * - YAML diagnostic blocks (`---` … `...`) are not tests; `Bail out!` stops.
 * vitest's nested `--reporter=tap` opens a block with a trailing ` {` on the
 * test line and closes it with `}`; those blocks are read like subtests, so
 * the names agree with `--reporter=tap-flat` (`file > suite > test`).
 *
 * What real output looks like (Node 20 and 24, mocha 11, vitest 3, node-tap
 * 16 and 21, ava 8):
 * - node:test does not wrap each file in a subtest: the top-level subtests
 *   are the files' own tests; a file that cannot load is one failing leaf
 *   named by its path (relative to the working directory);
 * - node:test and vitest escape `#` in titles as `\#` and `\` as `\\` (a
 *   newline becomes `\\n` in node:test, a space in vitest). Names keep these
 *   escapes exactly as printed: the corpus lists spell them so
 *   (fast-json-stringify's `… (issue \#491)`, `a property named "a\#b" …`,
 *   zod's `… issue \#5151 regression test`), and the vitest and vitest-json
 *   parsers escape their names the same way so that all three agree;
 * - mocha removes every `#` from titles, has no ` - ` separator
 *   (`ok 1 suite test`), prints pending tests as `ok N title # SKIP -` and
 *   its plan last; its error text follows a `not ok` line indented by two
 *   spaces, without YAML markers;
 * - node-tap (`--reporter=tap`) wraps each file in a subtest named by its
 *   path, so names are `test/x.test.js > suite > test`; a file of bare
 *   assertions is one test named by its path. What a test file prints to
 *   stdout is part of the TAP stream, so a printed `ok 99 - …` is read as an
 *   assertion (and dropped) there. tap 16 prints the files in the order they
 *   finish, not a fixed one;
 * - ava (`--tap`) is flat TAP; each title starts with the file, relative to
 *   the test files' common folder and without its extension, and ` › `
 *   (`first › adds`), but only when more than one file runs; a file that
 *   cannot load gives `not ok N - Error: message` and `not ok N - path exited
 *   with a non-zero exit code: 1`; `t.log()` lines are `#   message` comments;
 *   `test.failing` that fails is `ok`;
 * - vitest appends `# time=1.23ms` to every line (a directive that is
 *   neither SKIP nor TODO), and its YAML blocks hold multi-line strings whose
 *   lines start at any column.
 * A directive is the first unescaped `#` followed by SKIP, TODO or `time=`;
 * any other `#` belongs to the title.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

const SUBTEST = /^(\s*)# Subtest:\s?(.*)$/;
const TEST_LINE = /^(\s*)(not ok|ok)\b(?:\s+(\d+))?(.*)$/;
const BAIL_OUT = /^\s*Bail out!/;
const YAML_START = /^(\s*)---\s*$/;

interface Node {
  name: string;
  indent: number;
  hasChild: boolean;
  /** Set when the node's own `ok` / `not ok` line has been read. */
  status?: TestStatus;
  /** Titles of bare `# SKIP` / `# TODO` lines directly inside: tests if the node turns out a suite, assertions if a leaf. */
  skipped?: string[];
}

interface TestLine {
  indent: number;
  status: TestStatus;
  title: string;
  opensBlock: boolean;
}

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  const lines = stripAnsi(log).split('\n');
  const subtests = lines.some((line) => SUBTEST.test(line));
  const stack: Node[] = [];
  const path = (): string[] => stack.map((node) => node.name);
  let baseIndent: number | undefined;
  let lastTestIndent: number | undefined;
  let yamlIndent: number | undefined;

  for (const raw of lines) {
    const line = raw.trimEnd();
    if (yamlIndent !== undefined) {
      if (line.trim() === '...' && indentOf(line) <= yamlIndent) yamlIndent = undefined;
      continue;
    }
    // A YAML block directly follows its test line, indented deeper.
    const yaml = YAML_START.exec(line);
    if (yaml && lastTestIndent !== undefined && (yaml[1] ?? '').length > lastTestIndent) {
      yamlIndent = (yaml[1] ?? '').length;
      lastTestIndent = undefined;
      continue;
    }
    lastTestIndent = undefined;
    if (BAIL_OUT.test(line)) break;

    const subtest = SUBTEST.exec(line);
    if (subtest) {
      const indent = (subtest[1] ?? '').length;
      // A subtest left open at this depth or deeper never closed (a crash).
      while (stack.length > 0 && (stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
      const parent = stack.at(-1);
      if (parent) parent.hasChild = true;
      stack.push({ name: (subtest[2] ?? '').trim(), indent, hasChild: false });
      continue;
    }

    if (!subtests && line.trim() === '}') {
      const node = stack.pop();
      if (node && !node.hasChild && node.status) collector.add([...path(), node.name].join(' > '), node.status);
      continue;
    }

    const test = readTestLine(line, !subtests);
    if (!test) continue;
    lastTestIndent = test.indent;

    if (subtests) {
      while (stack.length > 0 && (stack.at(-1)?.indent ?? -1) > test.indent) stack.pop();
      const top = stack.at(-1);
      if (!top || top.indent !== test.indent) {
        // node-tap runs no skipped or todo subtest, so it prints no `# Subtest:` for one: a bare
        // `ok N - name # SKIP` one level inside an open subtest is that test when the subtest
        // has subtests (a suite), and a skipped assertion when it has none (a leaf): decided
        // when it closes. Any other `ok` line that closes no subtest is an assertion, not a test.
        const child = top === undefined ? test.indent === 0 : test.indent === top.indent + 4;
        if (child && test.status === 'SKIPPED' && test.title !== '') {
          if (top === undefined) collector.add(test.title, 'SKIPPED');
          else (top.skipped ??= []).push(test.title);
        }
        continue;
      }
      stack.pop();
      if (!top.hasChild && top.name !== '') collector.add([...path(), top.name].join(' > '), test.status);
      if (top.hasChild) for (const title of top.skipped ?? []) collector.add([...path(), top.name, title].join(' > '), 'SKIPPED');
      continue;
    }

    // Flat TAP, or vitest's nested blocks.
    const top = stack.at(-1);
    if (top) {
      if (test.indent <= top.indent) continue;
    } else {
      baseIndent ??= test.indent;
      if (test.indent !== baseIndent) continue;
    }
    if (top) top.hasChild = true;
    if (test.opensBlock) {
      stack.push({ name: test.title, indent: test.indent, hasChild: false, status: test.status });
    } else if (test.title !== '') {
      collector.add([...path(), test.title].join(' > '), test.status);
    }
  }
  return collector.results;
}

/** Reads `ok N - title # DIRECTIVE`; a trailing ` {` opens a block when `braces`. */
function readTestLine(line: string, braces: boolean): TestLine | undefined {
  const match = TEST_LINE.exec(line);
  if (!match) return undefined;
  let rest = match[4] ?? '';
  // `ok 1 -` / `ok` alone are fine; `ok1` is not a test line.
  if (rest !== '' && !/^\s/.test(rest)) return undefined;
  rest = rest.trim();
  let opensBlock = false;
  if (braces && /(?:^|\s)\{$/.test(rest)) {
    opensBlock = true;
    rest = rest.slice(0, -1).trimEnd();
  }
  rest = rest.replace(/^-(?:\s+|$)/, '');
  const { title, directive } = splitDirective(rest);
  const ok = match[2] === 'ok';
  let status: TestStatus = ok ? 'PASSED' : 'FAILED';
  if (/^(?:skip|todo)/i.test(directive)) status = 'SKIPPED';
  return { indent: (match[1] ?? '').length, status, title: title.trim(), opensBlock };
}

/**
 * Splits at the first unescaped `#` that starts a SKIP / TODO / time=
 * directive (escapes stay in the title).
 */
function splitDirective(text: string): { title: string; directive: string } {
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\') {
      i += 1;
      continue;
    }
    if (ch !== '#' || (i > 0 && !/\s/.test(text[i - 1] ?? ''))) continue;
    const directive = text.slice(i + 1).trimStart();
    if (/^(?:skip|todo)/i.test(directive) || /^time=/i.test(directive)) {
      return { title: text.slice(0, i).trimEnd(), directive };
    }
  }
  return { title: text, directive: '' };
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export const parser: LogParser = { name: 'tap', parse };
