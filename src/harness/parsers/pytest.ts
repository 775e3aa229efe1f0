/**
 * pytest's text output: the `-rA` short test summary and, when pytest ran
 * with `-v`, the per-test lines. Names are pytest node ids
 * (`tests/test_x.py::TestClass::test_m[param]`), whole, spaces included.
 *
 * Semantics follow SWE-bench's `parse_log_pytest`
 * (swebench/harness/log_parsers/python.py, with TestStatus in
 * swebench/harness/constants/__init__.py):
 * - a line `STATUS nodeid` or `nodeid STATUS` records the test with that
 *   status, for STATUS in PASSED, FAILED, SKIPPED, ERROR, XFAIL;
 * - XPASS is not a status SWE-bench knows: an unexpectedly passing test is
 *   left out (graded as missing, i.e. failing). pytest itself reports a
 *   strict xfail that passes as FAILED, which is recorded as such;
 * - `SKIPPED [N] path:line: reason` summary lines name a location, not a
 *   test, and are not recorded; with `-v` the skipped tests' node ids come
 *   from the per-test lines;
 * - a collection error (`ERROR tests/test_x.py - ImportError…`) is recorded
 *   under the file's path, as SWE-bench does.
 * Where this parser is stricter than SWE-bench:
 * - the ` - message` tail is cut without cutting a parametrized id that
 *   itself contains spaces or ` - ` (`test_c[a - b]`); SWE-bench keeps only
 *   the text up to the first space, which truncates such ids;
 * - status lines are read from the short test summary section(s) when the
 *   log has one (so captured output elsewhere cannot add tests); a log
 *   without any summary header (cut, or pytest without `-r`) is read the
 *   SWE-bench way, from every line, but then a name must look like a node id
 *   or a `.py` path;
 * - per-test `-v` lines need `::` in the name; xdist's
 *   `[gw0] [ 50%] PASSED nodeid` lines are read too.
 * A node id is unique within a session, so one seen twice is the same test in
 * another phase (a teardown error after a pass): the entries merge, a failing
 * status beating a passing one, rather than taking the ` (#2)` suffix. When
 * both the summary and `-v` lines name a test, the summary's status wins;
 * the order is the run order of the `-v` lines, then the summary's.
 */
import { stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

/** The words pytest prints for an outcome; XPASS is read and then dropped. */
type Word = TestStatus | 'XPASS';
const WORDS = 'PASSED|FAILED|SKIPPED|ERROR|XFAIL|XPASS';

const SUMMARY_HEADER = /^=+ short test summary info =+$/;
const SECTION_RULE = /^={3,}/;
const STATUS_FIRST = new RegExp(`^(${WORDS}) (.+)$`);
const XDIST_PREFIX = new RegExp(`^\\[gw\\d+\\] \\[\\s*\\d+%\\] (${WORDS}) (.+)$`);
/** What may follow a node id on a `-v` line: an optional `<- file` and the word. */
const VERBOSE_TAIL = new RegExp(`(?: <- \\S+)? (${WORDS})(?:\\s|$)`, 'y');
const SKIP_LOCATION = /^\[\d+\] /;

/** Results of one source (summary or `-v` lines), merged per node id. */
class Merged {
  readonly map = new Map<string, TestStatus>();

  add(name: string, word: Word): void {
    if (word === 'XPASS') return;
    const before = this.map.get(name);
    // A test that failed in one phase stays failed whatever another says.
    if (before !== undefined && isFailing(before) && !isFailing(word)) return;
    this.map.set(name, word);
  }
}

function isFailing(status: TestStatus): boolean {
  return status === 'FAILED' || status === 'ERROR';
}

/** Whether what follows a node id, from index `at` of `text`, fits. */
type Follows = (text: string, at: number) => boolean;

/**
 * The node id at the start of `text`, given what may follow it. The id's
 * head (`path::Class::test`) has no spaces or brackets; a parametrized id
 * then runs to a `]` after which `follows` holds: the first such `]` that
 * balances the brackets, else the first such `]` at all.
 */
export function leadingNodeId(text: string, follows: Follows): string | undefined {
  const head = /^[^\s[]+/.exec(text)?.[0];
  if (head === undefined) return undefined;
  if (text[head.length] !== '[') return follows(text, head.length) ? head : undefined;
  let depth = 0;
  let firstCandidate: number | undefined;
  for (let i = head.length; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '[') depth += 1;
    else if (ch === ']') {
      depth -= 1;
      if (!follows(text, i + 1)) continue;
      if (depth === 0) return text.slice(0, i + 1);
      firstCandidate ??= i + 1;
    }
  }
  if (firstCandidate !== undefined) return text.slice(0, firstCandidate);
  // No closing bracket fits: SWE-bench's reading, up to the first space.
  const token = /^\S+/.exec(text)?.[0];
  return token !== undefined && follows(text, token.length) ? token : undefined;
}

const ONLY_SPACE = /\s*$/y;
const summaryTail: Follows = (text, at) => {
  ONLY_SPACE.lastIndex = at;
  return text.startsWith(' - ', at) || ONLY_SPACE.test(text);
};
const xpassTail: Follows = (text, at) => at === text.length || text[at] === ' ';
const verboseTail: Follows = (text, at) => {
  VERBOSE_TAIL.lastIndex = at;
  return VERBOSE_TAIL.test(text);
};

/** `STATUS nodeid[ - message]` → [name, word], or undefined. */
function statusFirst(line: string, strictName: boolean): [string, Word] | undefined {
  const match = STATUS_FIRST.exec(line) ?? XDIST_PREFIX.exec(line);
  if (!match) return undefined;
  const word = match[1] as Word;
  const rest = match[2] ?? '';
  if (SKIP_LOCATION.test(rest)) return undefined;
  // pytest 7 prints `XPASS nodeid reason` without the dash.
  const name = leadingNodeId(rest, word === 'XPASS' ? xpassTail : summaryTail);
  if (name === undefined) return undefined;
  if (strictName && !looksLikeTest(name)) return undefined;
  return [name, word];
}

/** `nodeid STATUS [ 50%]` → [name, word], or undefined. */
function testFirst(line: string): [string, Word] | undefined {
  if (!line.includes('::')) return undefined;
  const name = leadingNodeId(line, verboseTail);
  if (name === undefined || !name.includes('::')) return undefined;
  VERBOSE_TAIL.lastIndex = name.length;
  const word = VERBOSE_TAIL.exec(line)?.[1] as Word | undefined;
  return word === undefined ? undefined : [name, word];
}

function looksLikeTest(name: string): boolean {
  return name.includes('::') || /\.py$/.test(name);
}

function parse(log: string): TestResults {
  const lines = stripAnsi(log).split('\n');
  const hasSummary = lines.some((line) => SUMMARY_HEADER.test(line.trimEnd()));
  const summary = new Merged();
  const verbose = new Merged();
  let inSummary = false;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (SUMMARY_HEADER.test(line)) {
      inSummary = true;
      continue;
    }
    if (inSummary && SECTION_RULE.test(line)) inSummary = false;
    if (inSummary || !hasSummary) {
      const found = statusFirst(line, !inSummary);
      if (found) {
        summary.add(...found);
        continue;
      }
    } else {
      const xdist = XDIST_PREFIX.test(line) ? statusFirst(line, true) : undefined;
      if (xdist) {
        verbose.add(...xdist);
        continue;
      }
    }
    if (!inSummary) {
      const found = testFirst(line);
      if (found) verbose.add(...found);
    }
  }
  const results: TestResults = new Map();
  for (const [name, status] of verbose.map) results.set(name, summary.map.get(name) ?? status);
  for (const [name, status] of summary.map) if (!results.has(name)) results.set(name, status);
  return results;
}

export const parser: LogParser = { name: 'pytest', parse };
