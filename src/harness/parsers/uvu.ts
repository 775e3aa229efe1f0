/**
 * uvu's report (uvu 0.5, its only reporter: uvu has no reporter option).
 *
 * uvu prints one dot per passing test and names no test that passes: a test
 * is named only in the details of its failure. A name that appears only while
 * the test fails would vanish once it passes, and the grading would read it
 * as missing, so tests are not recorded one by one. What is recorded is each
 * suite, by the line uvu ends it with:
 * - the name is `file > suite` (the file as uvu prints it: relative to the
 *   folder given to `uvu`, so `uvu tests` prints `first.test.js`), or the file
 *   alone for the unnamed default suite (`test(…)`; `test.run()`);
 * - `(N / M)`: PASSED when all M tests that ran passed, FAILED otherwise
 *   (a throwing `before` hook gives `(0 / M)`), SKIPPED when none ran
 *   (`(0 / 0)`: every test skipped);
 * - the same suite name twice in one file gets ` (#2)`.
 * The limit: a suite is one result, so a fix that makes one failing test of
 * a suite pass while another still fails shows no change.
 *
 * How a row looks (colours stripped): ` math  • ✘   (1 / 2)` — the suite's
 * label between single spaces (none for the default suite), `• ` per passing
 * test, `✘ ` per failing one, then `  (N / M)`. A file's rows follow its path
 * on a line of its own. Console output of a test lands inside the row, on
 * its own lines or after the label; the failure details (`  FAIL  suite
 * "test"`, the diff, the stack) follow the row, indented, and the run ends
 * with `  Total:`, `  Passed:`, `  Skipped:`, `  Duration:`.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

/** A file header: a path ending in a script extension, at column 0, nothing else on the line (no spaces, so printed prose is none). */
const FILE = /^(\S+\.(?:[cm]?[jt]sx?))$/;
/** The end of a row. */
const ROW_END = / {2}\((\d+) \/ (\d+)\)$/;
/** A named suite's label opens its row: one space, the name, two spaces. */
const LABEL = /^ (\S(?:.*?\S)?) {2}/;
/** An unnamed suite's row opens with its first mark, or straight with its count. */
const UNNAMED_START = /^(?:[•✘] | {2}\(\d+ \/ \d+\)$)/;
const TOTALS = /^ {2}(?:Total|Passed|Skipped|Duration):/;

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  let file: string | undefined;
  /** The suite of the row being read: its label, or '' for the unnamed suite. */
  let row: string | undefined;

  for (const raw of stripAnsi(log).split('\n')) {
    const line = raw.trimEnd();
    if (row === undefined) {
      if (TOTALS.test(line)) {
        file = undefined;
        continue;
      }
      const header = FILE.exec(line);
      if (header) {
        file = header[1];
        continue;
      }
      const label = LABEL.exec(line);
      if (label) row = label[1] ?? '';
      else if (UNNAMED_START.test(line)) row = '';
      else continue;
    }
    const end = ROW_END.exec(line);
    if (!end) continue;
    const passed = Number(end[1]);
    const ran = Number(end[2]);
    const status: TestStatus = ran === 0 ? 'SKIPPED' : passed === ran ? 'PASSED' : 'FAILED';
    const name = [file, row].filter((part) => part !== undefined && part !== '').join(' > ');
    if (name !== '') collector.add(name, status);
    row = undefined;
  }
  return collector.results;
}

export const parser: LogParser = { name: 'uvu', parse };
