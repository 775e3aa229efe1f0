/**
 * `log_parser: auto`: picks a parser from the test command and its output.
 *
 * The output decides first, where it carries a format that cannot be
 * mistaken (a JSON report, pytest's summary, JUnit XML, TAP, the runners'
 * own summaries); the command breaks ties and covers output that shows no
 * format at all (an empty or crashed run), and the last resort is `tap`.
 *
 * In order:
 * 0. section markers (src/util/log-sections.ts: one run per workspace
 *    package) → `workspaces`, which reads each section with the parser its
 *    marker names (`auto` chosen again on the section alone) and puts the
 *    section's label before each name;
 * 1. a JSON object with `numTotalTests` and `testResults` → `jest-json`, or
 *    `vitest-json` when it lacks jest's own fields (`numRuntimeErrorTestSuites`,
 *    `wasInterrupted`) and carries vitest's (`"meta":{`), or the command runs
 *    vitest;
 * 2. pytest's output (`short test summary info`, `test session starts`,
 *    `PASSED path.py::test` / `path.py::test PASSED` lines) → `pytest`;
 *    but when JUnit XML follows and pytest listed no passing test by name
 *    (no `-rA`, no `-v`), the XML says more → `junit`;
 * 3. `<testsuite` / `<testsuites` → `junit`;
 * 3b. unittest's verbose lines (`test_x (mod.Class.test_x) ... ok`) or its
 *    `Ran N tests in` line → `unittest`;
 * 4. TAP: `# Subtest:` lines → `tap`; tape's shape (`# name` headings
 *    directly followed by `ok N` / `not ok N` lines, or its `# ok` /
 *    `# pass  N` trailer; ava's `#   message` log lines, indented, are no
 *    headings) → `tape`; otherwise `TAP version N`, a plan `1..N`
 *    with `ok N` lines → `tape` if the command runs tape, else `tap`
 *    (mocha `--reporter tap`, vitest `--reporter=tap(-flat)`, node --test);
 * 5. jest's verbose report (`PASS`/`FAIL path` lines with `Tests:`) → `jest`;
 * 6. vitest's (`Test Files  N passed`) → `vitest`;
 * 7. mocha's spec report (`N passing (…)`) → `mocha`;
 * 7b. uvu's totals (`  Total:`, `  Passed:`, `  Duration:`) → `uvu`;
 * 8. the command alone: pytest / py.test; `-m unittest` → `unittest`; jest (`--json` → `jest-json`);
 *    vitest (`--reporter=json` → `vitest-json`, `tap`/`tap-flat` → `tap`,
 *    `junit` → `junit`); mocha (`-R`/`--reporter` `tap` → `tap`, `xunit` →
 *    `junit`); tape; uvu; `node --test` (`--test-reporter=junit` → `junit`,
 *    otherwise `tap`); ava and node-tap fall to the last resort;
 * 9. `tap`.
 */
import { splitSections, hasSections } from '../../util/log-sections.ts';
import { ResultCollector, stripAnsi, type LogParser, type TestResults } from '../test-status.ts';
import { parser as jestJson } from './jest-json.ts';
import { parser as jest } from './jest.ts';
import { parser as junit } from './junit.ts';
import { parser as mocha } from './mocha.ts';
import { parser as pytest } from './pytest.ts';
import { parser as tap } from './tap.ts';
import { parser as tape } from './tape.ts';
import { parser as unittest } from './unittest.ts';
import { parser as uvu } from './uvu.ts';
import { parser as vitestJson } from './vitest-json.ts';
import { parser as vitest } from './vitest.ts';

/** The parsers `auto` can choose (every one but itself and `workspaces`, which is `parseSections` below). */
export const CONCRETE_PARSERS = {
  tape,
  tap,
  mocha,
  jest,
  'jest-json': jestJson,
  vitest,
  'vitest-json': vitestJson,
  pytest,
  unittest,
  uvu,
  junit,
} as const satisfies Record<string, LogParser>;

const PYTEST_STATUS = 'PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS';
const PYTEST_SIGNS = [
  /^=+ short test summary info =+$/m,
  /^=+ test session starts =+$/m,
  new RegExp(`^(?:${PYTEST_STATUS}) \\S+\\.py::`, 'm'),
  new RegExp(`^\\S+\\.py::\\S.*? (?:${PYTEST_STATUS})(?:\\s|$)`, 'm'),
];
const PYTEST_PASSES = [/^PASSED \S/m, /^\S+\.py::\S.*? PASSED(?:\s|$)/m];
const JUNIT = /<testsuites?[\s>/]/;
const TAP_SUBTEST = /^\s*# Subtest: /m;
const TAP_VERSION = /^TAP version \d+\s*$/m;
const TAP_PLAN = /^\s*1\.\.\d+/m;
const TAP_RESULT = /^\s*(?:not )?ok \d+\b/m;
const TAPE_TRAILER = /^# (?:ok\s*$|pass {2}\d+|fail {2}\d+)/m;
/** TAP comment lines that are summary keys, not tape headings. */
const TAP_SUMMARY_KEY = /^# (?:tests|suites|pass|fail|skip|skipped|todo|cancelled|duration_ms|ok|not ok)\b/;
const JEST_FILE = /^\s*(?:PASS|FAIL) \S/m;
const JEST_SUMMARY = /^Tests:\s+(?:\d+ \w+, )*\d+ total/m;
const VITEST_SUMMARY = /^\s*Test Files\s+(?:\d+ \w+ \| )*\d+ (?:passed|failed|skipped)/m;
const MOCHA_SUMMARY = /^\s*\d+ passing \(\d/m;
const UNITTEST_SIGNS = [
  /^[\p{L}\p{N}_]+ \([\p{L}\p{N}_.]+\)(?: .*)? \.\.\. (?:ok|FAIL|ERROR|skipped\b.*|expected failure|unexpected success)$/mu,
  /^Ran \d+ tests? in \d/m,
];
const UVU_TOTALS = [/^ {2}Total: +\d+$/m, /^ {2}Passed: +\d+$/m, /^ {2}Duration: +\S+$/m];

/** The parser name for a run of `command` that printed `output`. */
export function chooseParser(command: string | undefined, output: string): string {
  const text = stripAnsi(output);
  const cmd = command ?? '';

  // Sections first: each holds a whole run in a format of its own.
  if (hasSections(text)) return 'workspaces';

  const json = jsonReport(text, cmd);
  if (json) return json;

  const xml = JUNIT.test(text);
  if (PYTEST_SIGNS.some((sign) => sign.test(text))) {
    return xml && !PYTEST_PASSES.some((sign) => sign.test(text)) ? 'junit' : 'pytest';
  }
  if (xml) return 'junit';
  if (UNITTEST_SIGNS.some((sign) => sign.test(text))) return 'unittest';

  if (TAP_SUBTEST.test(text)) return 'tap';
  if (looksLikeTape(text)) return 'tape';
  if (TAP_VERSION.test(text) || (TAP_PLAN.test(text) && TAP_RESULT.test(text))) return /\btape\b/.test(cmd) ? 'tape' : 'tap';

  if (JEST_FILE.test(text) && JEST_SUMMARY.test(text)) return 'jest';
  if (VITEST_SUMMARY.test(text)) return 'vitest';
  if (MOCHA_SUMMARY.test(text)) return 'mocha';
  if (UVU_TOTALS.every((sign) => sign.test(text))) return 'uvu';

  return fromCommand(cmd) ?? 'tap';
}

function jsonReport(text: string, cmd: string): string | undefined {
  if (!text.includes('"numTotalTests"') || !text.includes('"testResults"')) return undefined;
  // The report is one JSON object among other output: try each object that
  // opens with a key, up to its matching brace.
  const opening = /\{\s*"/g;
  let tries = 0;
  for (let match = opening.exec(text); match && tries < 500; match = opening.exec(text)) {
    const end = matchingBrace(text, match.index);
    if (end < 0) continue;
    const candidate = text.slice(match.index, end + 1);
    if (!candidate.includes('"numTotalTests"')) continue;
    tries += 1;
    let report: unknown;
    try {
      report = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof report !== 'object' || report === null || !('numTotalTests' in report) || !('testResults' in report)) continue;
    if ('numRuntimeErrorTestSuites' in report || 'wasInterrupted' in report) return 'jest-json';
    if (/"meta"\s*:\s*\{/.test(candidate) || /\bvitest\b/.test(cmd)) return 'vitest-json';
    return 'jest-json';
  }
  // The keys without a whole object (a cut log): trust the command.
  return /\bvitest\b/.test(cmd) ? 'vitest-json' : /\bjest\b/.test(cmd) ? 'jest-json' : undefined;
}

/** The index of the `}` closing the object that opens at `start`, or -1. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') depth += 1;
    else if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth === 0) return ch === '}' ? i : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

/** `# name` headings directly followed by assertion lines, or tape's own trailer. */
function looksLikeTape(text: string): boolean {
  if (TAPE_TRAILER.test(text) && TAP_RESULT.test(text)) return true;
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 1) {
    const line = lines[i] ?? '';
    // ava writes `t.log()` lines as `#   message`: a heading has one space.
    if (!line.startsWith('# ') || line.startsWith('#  ') || TAP_SUMMARY_KEY.test(line)) continue;
    if (/^(?:not )?ok \d+\b/.test(lines[i + 1] ?? '')) return true;
  }
  return false;
}

function fromCommand(cmd: string): string | undefined {
  const reporter = /(?:--reporter[= ]|-R\s*|--test-reporter[= ])['"]?([\w-]+)/.exec(cmd)?.[1];
  if (/\b(?:pytest|py\.test)\b/.test(cmd)) return 'pytest';
  if (/-m\s+unittest\b/.test(cmd)) return 'unittest';
  if (/\bjest\b/.test(cmd)) return /--json\b/.test(cmd) ? 'jest-json' : 'jest';
  if (/\bvitest\b/.test(cmd)) {
    if (reporter === 'json') return 'vitest-json';
    if (reporter === 'tap' || reporter === 'tap-flat') return 'tap';
    if (reporter === 'junit') return 'junit';
    return 'vitest';
  }
  if (/\bmocha\b/.test(cmd)) {
    if (reporter === 'tap') return 'tap';
    if (reporter === 'xunit') return 'junit';
    return 'mocha';
  }
  if (/\btape\b/.test(cmd)) return 'tape';
  if (/\buvu\b/.test(cmd)) return 'uvu';
  if (/\bnode\b[^|;&]*\s--test\b/.test(cmd)) return reporter === 'junit' ? 'junit' : 'tap';
  return undefined;
}

function parse(log: string): TestResults {
  const chosen = chooseParser(undefined, log);
  return chosen === 'workspaces' ? parseSections(log) : concrete(chosen).parse(log);
}

function concrete(name: string): LogParser {
  const byName: Readonly<Record<string, LogParser | undefined>> = CONCRETE_PARSERS;
  return byName[name] ?? tap;
}

/**
 * A log of sections (src/util/log-sections.ts), each read by the parser its
 * marker names (`auto`: chosen from the section alone), each name put after
 * the section's label and ` > `: two packages' `test/index.test.js` stay two
 * tests. The parser `workspaces` is this function; it lives here, beside
 * the parsers it dispatches to, so that neither module imports the other
 * both ways.
 */
export function parseSections(log: string): TestResults {
  const collector = new ResultCollector();
  for (const section of splitSections(stripAnsi(log))) {
    const name = section.parser === 'auto' ? chooseParser(undefined, section.text) : section.parser;
    // A nested section marker cannot occur (the text between two markers holds none): no recursion.
    const parser = name === 'workspaces' ? tap : concrete(name);
    for (const [test, status] of parser.parse(section.text)) collector.add(`${section.label} > ${test}`, status);
  }
  return collector.results;
}

export const parser: LogParser = { name: 'auto', parse };
