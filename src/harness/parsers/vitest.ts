/**
 * vitest's text reporters (vitest 3): `--reporter=verbose` and the default
 * reporter, as printed without a terminal (the harness runs commands
 * without one).
 *
 * Names agree with `--reporter=tap-flat` (the tap parser) and vitest-json:
 * `<file> > <describe> > … > <title>`, the file relative to the root, spelled
 * as vitest's TAP reporter spells them (tapSpelling: `\` → `\\`, `#` →
 * `\#`, a newline → a space), because dataset lists made with tap-flat keep
 * those escapes.
 *
 * What real output looks like and how it is read:
 * - verbose prints one line per test with the whole name:
 *   ` ✓ test/a.test.ts > suite > test 2ms`, ` × … 11ms` failed (followed by
 *   `→ message` lines), ` ↓ …` skipped or todo (no duration);
 * - the default reporter prints a line per file,
 *   ` ❯ test/a.test.ts (9 tests | 2 failed | 2 skipped) 18ms`, and under it
 *   (indented) the tests of files that failed, named without the file:
 *   `   ✓ suite > test 2ms`; those are recorded under the file. A file whose
 *   tests all passed is one line without test names: its tests cannot be
 *   named and are missing from the results (use verbose, tap-flat or json);
 * - console output comes as `stdout | <test name>` / `stderr | …` followed
 *   by the printed lines (which may look like test lines) up to a blank
 *   line: skipped;
 * - at the end (on stderr), `Failed Suites N` lists files that could not
 *   run as ` FAIL  test/b.test.js [ test/b.test.js ]`: each is one ERROR
 *   named by the path (tap-flat names it alike, as a failing test); a suite
 *   whose hook failed is listed there by its name (` FAIL  file > suite`)
 *   and is recorded the same way. `Failed Tests N` and `Unhandled Errors`
 *   repeat failures with code frames: not read;
 * - ✓ passed, × / ✗ / ✕ failed, ↓ skipped or todo; the trailing duration
 *   (`12ms`, `1.2s`) is removed from passed and failed lines.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

const FILE_LINE = /^\s*[✓❯×✗↓]\s+(\S.*?)\s+\(\d+ tests?(?:\s*\|[^)]*)?\)(?:\s+\d+(?:\.\d+)?m?s)?$/;
const TEST = /^(\s*)([✓√×✗✕↓])\s+(.*)$/;
const DURATION = /\s+\d+(?:\.\d+)?m?s$/;
const CONSOLE = /^(?:stdout|stderr) \| /;
const SECTION = /^⎯+\s*(.*?)\s*⎯+$/;
const SUITE_FAILURE = /^\s*FAIL\s+(\S.*?)(?:\s+\[ .* \])?$/;
const RUN_BANNER = /^\s*RUN\s+v\d/;

/** A name as vitest's TAP reporters print it (vitest's own `tapString`). */
export function tapSpelling(name: string): string {
  return name.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, ' ');
}

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  let file: string | undefined;
  let section: 'tests' | 'failed-suites' | 'errors' = 'tests';
  let inConsole = false;

  for (const raw of stripAnsi(log).split('\n')) {
    const line = raw.trimEnd();
    if (inConsole) {
      if (line.trim() === '') inConsole = false;
      continue;
    }
    if (CONSOLE.test(line)) {
      inConsole = true;
      continue;
    }
    const heading = SECTION.exec(line);
    if (heading) {
      const title = heading[1] ?? '';
      // Numbered separators (`⎯⎯[1/4]⎯⎯`) between entries keep the section.
      if (/^Failed Suites\b/.test(title)) section = 'failed-suites';
      else if (title !== '' && !/^\[\d+\/\d+\]$/.test(title)) section = 'errors';
      continue;
    }
    if (RUN_BANNER.test(line) || /^\s*Test Files\s/.test(line)) {
      section = 'tests';
      file = undefined;
      continue;
    }
    if (section === 'failed-suites') {
      const failure = SUITE_FAILURE.exec(line);
      if (failure?.[1]) collector.add(tapSpelling(failure[1]), 'ERROR');
      continue;
    }
    if (section === 'errors') continue;

    const fileLine = FILE_LINE.exec(line);
    if (fileLine) {
      file = fileLine[1];
      continue;
    }
    const test = TEST.exec(line);
    if (!test) continue;
    const indent = (test[1] ?? '').length;
    const mark = test[2] ?? '';
    const status: TestStatus = mark === '✓' || mark === '√' ? 'PASSED' : mark === '↓' ? 'SKIPPED' : 'FAILED';
    let title = (test[3] ?? '').trim();
    if (status !== 'SKIPPED') title = title.replace(DURATION, '');
    if (title === '') continue;
    // Indented under a file line (default reporter): the name lacks the file.
    const name = indent > 1 && file !== undefined ? `${file} > ${title}` : title;
    collector.add(tapSpelling(name), status);
  }
  return collector.results;
}

export const parser: LogParser = { name: 'vitest', parse };
