/**
 * jest's verbose report (`jest --verbose`, jest 27–30).
 *
 * Names are jest's `fullName`: the ancestor (describe) titles and the test's
 * title joined by a single space, as in `--json` output, so this parser and
 * jest-json agree.
 *
 * How the report is read:
 * - `PASS path` / `FAIL path` at column 0 opens a test file; its tree
 *   follows, indented two spaces per level from two: `✓ title (N ms)`
 *   passed, `✕ title` failed, `○ skipped title` skipped, `✎ todo title`
 *   todo (SKIPPED); `√` / `×` are the Windows glyphs. Any other indented
 *   line is a describe title; a test's ancestors are the describe lines
 *   above it that are indented less;
 * - the verbose reporter prints a file's top-level tests before its describe
 *   blocks, so the order differs from `--json` (which keeps definition
 *   order); names with ` (#2)` still agree, as both keep the order of tests
 *   within one describe block;
 * - `● …` starts the failure details, which run to the next file header;
 *   `● Test suite failed to run` (a file that cannot load) records one ERROR
 *   named by the file's path as printed (relative to the root directory);
 * - a `console.log` block (`  console.log` and its indented message, which
 *   may itself look like a test line) is skipped;
 * - `Summary of all failing tests` repeats headers and details: not read.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

const HEADER = /^(?:PASS|FAIL)\s+(\S.*?)(?:\s+\(\d+(?:\.\d+)?\s*m?s(?:, [^)]*)?\))?$/;
const TEST = /^(\s+)([✓√✕×○✎])\s+(.*)$/;
const DURATION = /\s+\(\d+(?:\.\d+)?\s*m?s\)$/;
const DETAILS = /^\s+● (.*)$/;
const CONSOLE = /^ {2}console\.(?:log|info|warn|error|debug|trace|dir|table|group|assert|count|time\w*)$/;
const FAILING_SUMMARY = /^Summary of all failing tests/;
const RUN_SUMMARY = /^Test Suites: /;

const STATUS: Record<string, TestStatus> = {
  '✓': 'PASSED',
  '√': 'PASSED',
  '✕': 'FAILED',
  '×': 'FAILED',
  '○': 'SKIPPED',
  '✎': 'SKIPPED',
};

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  const errored = new Set<string>();
  let state: 'outside' | 'tree' | 'details' | 'console' = 'outside';
  let file: string | undefined;
  let stack: { title: string; indent: number }[] = [];

  for (const raw of stripAnsi(log).split('\n')) {
    const line = raw.trimEnd();
    if (FAILING_SUMMARY.test(line)) break;
    const header = HEADER.exec(line);
    if (header) {
      file = header[1];
      stack = [];
      state = 'tree';
      continue;
    }
    if (RUN_SUMMARY.test(line)) {
      state = 'outside';
      continue;
    }
    if (state === 'outside') continue;

    const details = DETAILS.exec(line);
    if (details) {
      if ((details[1] ?? '').trim() === 'Test suite failed to run' && file !== undefined && !errored.has(file)) {
        errored.add(file);
        collector.add(file, 'ERROR');
      }
      state = 'details';
      continue;
    }
    if (state === 'details') continue;

    const indent = line.length - line.trimStart().length;
    if (state === 'console') {
      if (line.trim() === '' || indent > 2) continue;
      state = 'tree';
    }
    if (CONSOLE.test(line)) {
      state = 'console';
      continue;
    }
    if (line.trim() === '' || indent === 0) continue;

    const test = TEST.exec(line);
    if (test) {
      const mark = test[2] ?? '';
      let title = test[3] ?? '';
      if (mark === '○') title = title.replace(/^skipped /, '');
      else if (mark === '✎') title = title.replace(/^todo /, '');
      else title = title.replace(DURATION, '');
      const suites = stack.filter((suite) => suite.indent < indent).map((suite) => suite.title);
      const status = STATUS[mark];
      if (status && title !== '') collector.add([...suites, title].join(' '), status);
      continue;
    }
    while (stack.length > 0 && (stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    stack.push({ title: line.trim(), indent });
  }
  return collector.results;
}

export const parser: LogParser = { name: 'jest', parse };
