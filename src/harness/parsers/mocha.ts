/**
 * mocha's default `spec` reporter.
 *
 * Names are mocha's `fullTitle()`: the titles of the enclosing suites and of
 * the test joined by a single space (`outer inner passes`), which is also
 * what mocha's TAP reporter prints, so a dataset made with either reporter
 * spells names alike — except that mocha's TAP reporter deletes every `#`
 * from titles and this parser keeps them (the spec reporter prints titles
 * as they are).
 *
 * How the report is read (mocha 10/11):
 * - the body indents suites and tests by two spaces per level, starting at
 *   two; a test line is `✔ title` (`✓` in older versions, `√` on Windows)
 *   with an optional `(12ms)` for slow tests, `N) title` for a failure, or
 *   `- title` for a pending (skipped) test; any other indented line is a
 *   suite title. A test's suites are the suite lines above it that are
 *   indented less. Lines at column 0 are never part of the report (console
 *   output from tests) and are ignored;
 * - the body ends at `N passing (…)`; the numbered list of failures that
 *   follows spells each failure's title path, one title per line, the last
 *   ending with `:`. A failure's name is taken from there (matched to the
 *   body's `N) title` by number) when its last title agrees, so a suite
 *   stack confused by indented console output cannot misname a failure.
 *   Hook failures (`"before each" hook for "x"`) are failures like any other;
 * - a second run's report after the first's failure list is not read.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

const PASS = /^(\s+)[✔✓√]\s+(.*?)(?:\s+\(\d+ms\))?$/;
const FAIL = /^(\s+)(\d+)\)\s+(.*)$/;
const PENDING = /^(\s+)-\s+(.*)$/;
const SUMMARY = /^\s+\d+ passing \(/;
const FAILURE_ENTRY = /^ {2}(\d+)\) (.*)$/;

interface Entry {
  name: string;
  title: string;
  status: TestStatus;
  failure?: number;
}

function parse(log: string): TestResults {
  const lines = stripAnsi(log).split('\n');
  const entries: Entry[] = [];
  const stack: { title: string; indent: number }[] = [];
  let index = 0;

  for (; index < lines.length; index += 1) {
    const line = (lines[index] ?? '').trimEnd();
    if (SUMMARY.test(line)) break;
    if (line.trim() === '' || !/^\s/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    const suites = stack.filter((suite) => suite.indent < indent).map((suite) => suite.title);
    const test = (title: string, status: TestStatus, failure?: number): void => {
      const entry: Entry = { name: [...suites, title].join(' '), title, status };
      if (failure !== undefined) entry.failure = failure;
      entries.push(entry);
    };
    const pass = PASS.exec(line);
    if (pass) {
      test(pass[2] ?? '', 'PASSED');
      continue;
    }
    const fail = FAIL.exec(line);
    if (fail) {
      test(fail[3] ?? '', 'FAILED', Number(fail[2]));
      continue;
    }
    const pending = PENDING.exec(line);
    if (pending) {
      test(pending[2] ?? '', 'SKIPPED');
      continue;
    }
    while (stack.length > 0 && (stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    stack.push({ title: line.trim(), indent });
  }

  const fullTitles = readFailureList(lines, index + 1);
  const collector = new ResultCollector();
  for (const entry of entries) {
    const full = entry.failure === undefined ? undefined : fullTitles.get(entry.failure);
    const name = full && full.at(-1) === entry.title ? full.join(' ') : entry.name;
    if (name !== '') collector.add(name, entry.status);
  }
  return collector.results;
}

/** The failure list after the summary: number → title path. */
function readFailureList(lines: string[], from: number): Map<number, string[]> {
  const titles = new Map<number, string[]>();
  let open: string[] | undefined;
  for (let i = from; i < lines.length; i += 1) {
    const line = (lines[i] ?? '').trimEnd();
    const entry = FAILURE_ENTRY.exec(line);
    if (entry && !open) {
      open = [];
      titles.set(Number(entry[1]), open);
      if (closeTitle(open, entry[2] ?? '')) open = undefined;
      continue;
    }
    if (open) {
      if (line.trim() === '') {
        open = undefined;
        continue;
      }
      if (closeTitle(open, line.trim())) open = undefined;
    }
  }
  return titles;
}

/** Adds one title of a failure's path; true when it was the last (ends with `:`). */
function closeTitle(path: string[], text: string): boolean {
  if (text.endsWith(':')) {
    path.push(text.slice(0, -1));
    return true;
  }
  path.push(text);
  return false;
}

export const parser: LogParser = { name: 'mocha', parse };
