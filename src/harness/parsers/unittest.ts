/**
 * Python's unittest in verbose mode (`python -m unittest discover -v`, or any
 * runner built on `TextTestRunner(verbosity=2)`).
 *
 * Each test prints `DESCRIPTION ... OUTCOME`, where the description is
 * `test_x (pkg.mod.Class.test_x)` from Python 3.11 on and `test_x
 * (pkg.mod.Class)` before. A test is named by its id, `pkg.mod.Class.test_x`,
 * under either form, so names stay the same across Python versions (and
 * match `python -m unittest pkg.mod.Class.test_x`).
 *
 * Outcomes: `ok` → PASSED; `FAIL` → FAILED; `ERROR` → ERROR; `skipped
 * 'reason'` → SKIPPED; `expected failure` → XFAIL; `unexpected success` →
 * FAILED (unittest fails the run for it, as pytest does for a strict xpass).
 *
 * What real output holds besides:
 * - a docstring's first line goes on a line of its own between the
 *   description and ` ... OUTCOME`;
 * - a test with failing subtests prints `DESCRIPTION ... ` and then, from
 *   3.11, one indented `  DESCRIPTION (i=1) ... FAIL` line per failing
 *   subtest and no outcome of its own: the test gets the subtests' worst
 *   outcome. Subtests are not tests of their own (their names exist only
 *   while they fail). Before 3.11 nothing is printed for them, and the next
 *   test's description follows on the same line;
 * - a class or module fixture that fails is `setUpClass (pkg.mod.Class) ...
 *   ERROR` → `pkg.mod.Class.setUpClass`; a module that cannot be imported is
 *   `test_x (unittest.loader._FailedTest.test_x) ... ERROR`, named so;
 * - the error list after the run (`FAIL: DESCRIPTION`, `ERROR: …`,
 *   `UNEXPECTED SUCCESS: …`) gives the outcome of a test whose line was cut
 *   or is missing one;
 * - what tests print to stdout is block-buffered and mostly lands after the
 *   summary; a printed line shaped exactly like a verbose line would read as
 *   a test (the limit of reading text).
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

/** `name (dotted.id)`, with a subtest's ` (params)` or a docstring after it. */
/** Python identifiers may be any letters (`test_café`). */
const DESCRIPTION = /^([\p{L}\p{N}_]+) \(([\p{L}\p{N}_.]+)\)/u;
const SEPARATOR = ' ... ';
const OUTCOMES: [RegExp, TestStatus][] = [
  [/^ok$/, 'PASSED'],
  [/^FAIL$/, 'FAILED'],
  [/^ERROR$/, 'ERROR'],
  [/^skipped(?: .*)?$/, 'SKIPPED'],
  [/^expected failure$/, 'XFAIL'],
  [/^unexpected success$/, 'FAILED'],
];
const ERROR_LIST = /^(FAIL|ERROR|UNEXPECTED SUCCESS): ([\p{L}\p{N}_]+ \([\p{L}\p{N}_.]+\))/u;
const FROM_ERROR_LIST: Record<string, TestStatus> = { FAIL: 'FAILED', ERROR: 'ERROR', 'UNEXPECTED SUCCESS': 'FAILED' };

/** The test id of `name (dotted)`: 3.11+ prints the id itself, older versions the class. */
export function unittestId(method: string, dotted: string): string {
  return dotted === method || dotted.endsWith(`.${method}`) ? dotted : `${dotted}.${method}`;
}

function outcome(text: string): TestStatus | undefined {
  const word = text.trim();
  return OUTCOMES.find(([pattern]) => pattern.test(word))?.[1];
}

/** ERROR beats FAILED beats anything else, for a test that several lines speak of. */
function worse(a: TestStatus | undefined, b: TestStatus): TestStatus {
  const rank = (status: TestStatus | undefined): number => (status === 'ERROR' ? 2 : status === 'FAILED' ? 1 : 0);
  return a !== undefined && rank(a) >= rank(b) ? a : b;
}

interface Entry {
  id: string;
  status?: TestStatus;
}

function parse(log: string): TestResults {
  const entries: Entry[] = [];
  /** The last test whose outcome has not been read yet. */
  let pending: Entry | undefined;
  /** A description that ended its line: the next line holds the docstring and the outcome. */
  let awaitingDocstring = false;
  let inErrorList = false;
  const byId = new Map<string, Entry>();

  const open = (method: string, dotted: string): Entry => {
    const entry: Entry = { id: unittestId(method, dotted) };
    entries.push(entry);
    byId.set(entry.id, entry);
    return entry;
  };

  for (const raw of stripAnsi(log).split('\n')) {
    const line = raw.trimEnd();
    if (/^={20,}$/.test(line)) {
      inErrorList = true;
      pending = undefined;
      awaitingDocstring = false;
      continue;
    }
    const listed = ERROR_LIST.exec(line);
    if (listed) {
      const description = DESCRIPTION.exec(listed[2] ?? '');
      const id = description ? unittestId(description[1] ?? '', description[2] ?? '') : '';
      const status = FROM_ERROR_LIST[listed[1] ?? ''] ?? 'FAILED';
      const entry = byId.get(id) ?? open(description?.[1] ?? '', description?.[2] ?? '');
      // The list only fills in: a verbose line already read keeps its outcome unless it had none.
      if (entry.status === undefined) entry.status = status;
      continue;
    }
    if (inErrorList) {
      // The error list's tracebacks run to the `Ran N tests` line; a later run may follow.
      if (/^Ran \d+ tests? in /.test(line)) inErrorList = false;
      continue;
    }

    if (awaitingDocstring && pending) {
      awaitingDocstring = false;
      const at = line.lastIndexOf(SEPARATOR.trimEnd());
      if (at !== -1) {
        const status = outcome(line.slice(at + SEPARATOR.length - 1));
        if (status) {
          pending.status = status;
          pending = undefined;
        }
        continue;
      }
    }

    // A subtest's failure: `  DESCRIPTION (params) ... FAIL`, indented.
    const subtest = /^ {2}([\p{L}\p{N}_]+ \([\p{L}\p{N}_.]+\)) .*? \.\.\. (FAIL|ERROR)$/u.exec(line);
    if (subtest) {
      const description = DESCRIPTION.exec(subtest[1] ?? '');
      const id = description ? unittestId(description[1] ?? '', description[2] ?? '') : '';
      const entry = byId.get(id);
      if (entry) entry.status = worse(entry.status, outcome(subtest[2] ?? '') ?? 'FAILED');
      continue;
    }

    let rest = line;
    // Before 3.11 a test whose subtests failed prints no outcome, so the next description follows on its line.
    for (let guard = 0; guard < 50; guard += 1) {
      const description = DESCRIPTION.exec(rest);
      if (!description) {
        // Not a test line: an outcome on a line of its own (stdout came between) closes the pending test.
        const status = outcome(rest);
        if (pending && status && rest === line) {
          pending.status = status;
          pending = undefined;
        }
        break;
      }
      const after = rest.slice(description[0].length);
      if (after === '') {
        // The docstring follows on the next line.
        pending = open(description[1] ?? '', description[2] ?? '');
        awaitingDocstring = true;
        break;
      }
      if (!after.startsWith(SEPARATOR) && after !== SEPARATOR.trimEnd()) break;
      const entry = open(description[1] ?? '', description[2] ?? '');
      rest = after.slice(SEPARATOR.length);
      const status = outcome(rest);
      if (status) {
        entry.status = status;
        pending = undefined;
        break;
      }
      pending = entry;
      if (rest === '') break;
    }
  }

  const collector = new ResultCollector();
  for (const entry of entries) if (entry.status !== undefined) collector.add(entry.id, entry.status);
  return collector.results;
}

export const parser: LogParser = { name: 'unittest', parse };
