/**
 * tape's output (TAP 13 with `# name` comment headings).
 *
 * Rules (../shared/corpus/README.md, "Test names"):
 * - each `# name` heading at the start of a line opens a test, named by the
 *   heading's text; nested `t.test` subtests print headings of their own and
 *   so are flattened: a parent whose own body holds no assertion is still a
 *   test (it passes) — the corpus lists were made that way;
 * - the test FAILS when a `not ok` assertion without a `# TODO` / `# SKIP`
 *   directive follows before the next heading, otherwise it PASSES;
 * - the plan `1..N` and the summary after it (`# tests N`, `# pass  N`,
 *   `# fail  N`, `# todo N`, `# skip N`, `# ok`) are not tests.
 *
 * What real tape 5 prints and how it is read:
 * - a test declared `{ skip: true }` prints the heading `# SKIP name` and no
 *   assertions: recorded as `name`, SKIPPED;
 * - a test declared `{ todo: true }` prints `# TODO name` and its assertions
 *   carry `# TODO`: recorded as `name`, SKIPPED (a todo test's outcome does
 *   not count, as in the tap parser);
 * - the summary writes two spaces in `# pass  N` / `# fail  N`;
 * - assertion failures are followed by a YAML block (`  ---` … `  ...`),
 *   skipped here.
 * Several runs concatenated (one `npx tape` per file, as fastq's test command
 * does) are one stream: each run's `TAP version` line ends the previous run's
 * summary, and a name seen again gets ` (#2)`.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

const VERSION = /^TAP version \d+/;
const PLAN = /^1\.\.\d+\s*$/;
const HEADING = /^# (.*)$/;
const ASSERTION = /^(not )?ok\b(.*)$/;
const SUMMARY = /^# (?:(?:tests|pass|fail|todo|skip)\s+\d+|ok)\s*$/;
/** A TODO or SKIP directive on an assertion line. */
const DIRECTIVE = /#\s*(?:todo|skip)\b/i;
const DECLARED = /^(SKIP|TODO) (.+)$/;

interface OpenTest {
  name: string;
  status: TestStatus;
}

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  let current: OpenTest | undefined;
  let afterPlan = false;
  let lastWasAssertion = false;
  let yamlIndent: number | undefined;

  const flush = (): void => {
    if (current) collector.add(current.name, current.status);
    current = undefined;
  };

  for (const raw of stripAnsi(log).split('\n')) {
    const line = raw.trimEnd();
    if (yamlIndent !== undefined) {
      // The block ends at its `...`; a line that can only be TAP (at column 0)
      // ends an unterminated block too.
      const atColumn0 = /^\S/.test(line);
      if (line.trim() === '...' && indentOf(line) <= yamlIndent) {
        yamlIndent = undefined;
        continue;
      }
      if (!atColumn0 || !(HEADING.test(line) || ASSERTION.test(line) || PLAN.test(line) || VERSION.test(line))) continue;
      yamlIndent = undefined;
    }
    if (lastWasAssertion && /^\s+---\s*$/.test(line)) {
      yamlIndent = indentOf(line);
      lastWasAssertion = false;
      continue;
    }
    lastWasAssertion = false;

    if (VERSION.test(line)) {
      flush();
      afterPlan = false;
      continue;
    }
    if (PLAN.test(line)) {
      flush();
      afterPlan = true;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      if (afterPlan && SUMMARY.test(line)) continue;
      flush();
      afterPlan = false;
      const title = (heading[1] ?? '').trim();
      if (title === '') continue;
      const declared = DECLARED.exec(title);
      current = declared ? { name: declared[2] ?? title, status: 'SKIPPED' } : { name: title, status: 'PASSED' };
      continue;
    }
    const assertion = ASSERTION.exec(line);
    if (assertion) {
      lastWasAssertion = true;
      if (current && assertion[1] !== undefined && current.status === 'PASSED' && !DIRECTIVE.test(assertion[2] ?? '')) {
        current.status = 'FAILED';
      }
    }
  }
  flush();
  return collector.results;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export const parser: LogParser = { name: 'tape', parse };
