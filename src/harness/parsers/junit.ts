/**
 * JUnit XML, as pytest (`--junitxml`), node:test (`--test-reporter=junit`),
 * jest-junit, mocha's xunit reporter and vitest's junit reporter write it.
 * The XML may sit inside a longer log (`pytest …; cat report.xml`): every
 * `<testsuites>` / `<testsuite>` block in the log is read, each to its
 * closing tag (or to the end of the log, when the log was cut).
 *
 * A `<testcase>` is one test. Status, strongest first: a `<skipped
 * type="todo">` → SKIPPED (node:test's todo tests carry a `<failure>` too,
 * and TAP calls them skipped), `<error>` → ERROR, `<failure>` → FAILED,
 * `<skipped type="pytest.xfail">` → XFAIL, other `<skipped>` → SKIPPED, none
 * → PASSED. What JUnit cannot say: pytest writes an XPASS as a plain passing
 * testcase (the pytest text parser leaves XPASS out, as SWE-bench does), and
 * a passing test with a teardown error as one testcase with `<error>`.
 *
 * Names, by the producer the block shows:
 * - pytest (a `<testsuite name="pytest">`, or a testcase `file` ending in
 *   `.py`): the pytest node id, rebuilt from `classname="tests.test_x.TestC"`
 *   and `name="test_m[p]"` as `tests/test_x.py::TestC::test_m[p]`. The
 *   module/class split uses the `file` attribute (junit_family=xunit1) when
 *   it matches, else takes the trailing classname parts that start with an
 *   upper-case letter as classes (pytest collects `Test*` classes). A
 *   collection error (empty classname, `name="tests.test_x"`) becomes
 *   `tests/test_x.py`, as the text summary names it.
 * - node:test (the `<!-- duration_ms … -->` trailer its reporter writes):
 *   the enclosing `<testsuite>` names and the test name joined by ` > `,
 *   which is how the TAP parser names the same tests. Earlier Node 24
 *   releases wrote `"` in attributes escaped twice (`&amp;quot;`), later
 *   ones once (`&quot;`); the leftover `&quot;` of the first is read as `"`,
 *   so both give the same name.
 * - anything else: `classname > name`, or just `name` when the classname is
 *   empty, equals the enclosing suite's name or equals the name (jest-junit's
 *   default repeats the title in both).
 * A name seen twice gets ` (#2)`… (the corpus convention), except pytest node
 * ids, which are unique per session: those merge, a failing status winning.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

// ---------------------------------------------------------------------------
// A small, tolerant XML reader: elements, attributes and comments. Text and
// CDATA are skipped (no test status lives there), but read correctly so that
// markup inside them is not taken for elements.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Comments directly inside the element, trimmed. */
  comments: string[];
  parent: XmlElement | undefined;
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Replaces the five XML entities and numeric references; leaves anything else as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|([A-Za-z]+));/g, (whole, dec?: string, hex?: string, named?: string) => {
    if (named !== undefined) return NAMED_ENTITIES[named] ?? whole;
    const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? '', 16);
    return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const NAME_START = /[A-Za-z_:]/;
const ATTR = /\s*([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/y;

/**
 * Reads the element starting at `start` (which must be `<name`), with its
 * descendants, up to its closing tag or the end of `text`. Returns the
 * element and the index after it.
 */
export function readElement(text: string, start: number): { element: XmlElement; end: number } | undefined {
  const root: XmlElement = { name: '#document', attrs: {}, children: [], comments: [], parent: undefined };
  let current = root;
  let i = start;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    i = lt;
    if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4);
      const end = close < 0 ? text.length : close;
      current.comments.push(text.slice(i + 4, end).trim());
      i = close < 0 ? text.length : close + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9);
      i = close < 0 ? text.length : close + 3;
      continue;
    }
    if (text.startsWith('<?', i) || text.startsWith('<!', i)) {
      const close = text.indexOf('>', i + 2);
      i = close < 0 ? text.length : close + 1;
      continue;
    }
    if (text[i + 1] === '/') {
      const close = text.indexOf('>', i + 2);
      const name = text.slice(i + 2, close < 0 ? text.length : close).trim();
      i = close < 0 ? text.length : close + 1;
      // Close up to the matching open element; a stray end tag is ignored.
      let open: XmlElement | undefined = current;
      while (open && open !== root && open.name !== name) open = open.parent;
      if (open && open !== root) {
        current = open.parent ?? root;
        if (current === root) return { element: open, end: i };
      }
      continue;
    }
    if (!NAME_START.test(text[i + 1] ?? '')) {
      // A bare `<` in text: not markup.
      i += 1;
      continue;
    }
    const nameMatch = /^[^\s/>]+/.exec(text.slice(i + 1, i + 200));
    const name = nameMatch?.[0] ?? '';
    const element: XmlElement = { name, attrs: {}, children: [], comments: [], parent: current };
    let j = i + 1 + name.length;
    for (;;) {
      ATTR.lastIndex = j;
      const attr = ATTR.exec(text);
      if (!attr || attr.index !== j || attr[0].trim() === '') break;
      const key = attr[1] ?? '';
      const raw = attr[2] ?? attr[3] ?? attr[4] ?? '';
      // Attribute-value normalization: literal tabs and newlines are spaces.
      element.attrs[key] = decodeEntities(raw.replace(/[\t\n\r]/g, ' '));
      j = ATTR.lastIndex;
    }
    while (j < text.length && /\s/.test(text[j] ?? '')) j += 1;
    const selfClosing = text.startsWith('/>', j);
    const close = text.indexOf('>', j);
    i = close < 0 ? text.length : close + 1;
    current.children.push(element);
    if (selfClosing) {
      if (current === root) return { element, end: i };
    } else {
      current = element;
    }
  }
  // The text ended first (a cut log): keep what was read.
  const first = root.children[0];
  if (!first) return undefined;
  first.parent = undefined;
  return { element: first, end: text.length };
}

/** Every `<testsuites>` / `<testsuite>` block in the log, outermost only. */
export function findSuiteBlocks(text: string): XmlElement[] {
  const blocks: XmlElement[] = [];
  const opening = /<testsuites?(?=[\s>/])/g;
  for (let match = opening.exec(text); match; match = opening.exec(text)) {
    const read = readElement(text, match.index);
    if (!read) continue;
    blocks.push(read.element);
    opening.lastIndex = Math.max(read.end, match.index + 1);
  }
  return blocks;
}

// ---------------------------------------------------------------------------

type Flavour = 'pytest' | 'node' | 'generic';

interface Case {
  element: XmlElement;
  /** Names of the enclosing `<testsuite>` elements, outermost first. */
  suites: string[];
}

function collectCases(element: XmlElement, suites: string[], into: Case[]): void {
  for (const child of element.children) {
    if (child.name === 'testcase') into.push({ element: child, suites });
    else if (child.name === 'testsuite') collectCases(child, [...suites, child.attrs.name ?? ''], into);
    else if (child.name === 'testsuites') collectCases(child, suites, into);
  }
}

function flavourOf(block: XmlElement, cases: Case[]): Flavour {
  const suiteNamedPytest = (element: XmlElement): boolean =>
    (element.name === 'testsuite' && element.attrs.name === 'pytest') || element.children.some(suiteNamedPytest);
  if (suiteNamedPytest(block) || cases.some((c) => c.element.attrs.file?.endsWith('.py'))) return 'pytest';
  const comments = (element: XmlElement): boolean =>
    element.comments.some((comment) => /^duration_ms\s/.test(comment)) || element.children.some(comments);
  if (comments(block)) return 'node';
  return 'generic';
}

/** `tests.test_x.TestC` + `test_m[p]` (+ `tests/test_x.py`) → `tests/test_x.py::TestC::test_m[p]`. */
export function pytestNodeId(classname: string, name: string, file?: string): string {
  if (classname === '') {
    // A collection error: the name is the module path.
    return /^[\w.-]+$/.test(name) && !name.includes('..') ? `${name.replaceAll('.', '/')}.py` : name;
  }
  const parts = classname.split('.');
  if (file?.endsWith('.py')) {
    const module = file.slice(0, -3).replaceAll('\\', '/').split('/').join('.');
    if (classname === module || classname.startsWith(`${module}.`)) {
      const classes = classname.slice(module.length + 1).split('.').filter(Boolean);
      return [file, ...classes, name].join('::');
    }
  }
  let split = parts.length;
  while (split > 1 && /^[A-Z]/.test(parts[split - 1] ?? '')) split -= 1;
  return [`${parts.slice(0, split).join('/')}.py`, ...parts.slice(split), name].join('::');
}

function statusOf(testcase: XmlElement): TestStatus {
  const kids = testcase.children;
  const skipped = kids.find((kid) => kid.name === 'skipped');
  if (skipped?.attrs.type === 'todo') return 'SKIPPED';
  if (kids.some((kid) => kid.name === 'error')) return 'ERROR';
  if (kids.some((kid) => kid.name === 'failure')) return 'FAILED';
  if (skipped) return skipped.attrs.type === 'pytest.xfail' ? 'XFAIL' : 'SKIPPED';
  return 'PASSED';
}

function nameOf(flavour: Flavour, testcase: Case): string {
  const { classname = '', name = '', file } = testcase.element.attrs;
  if (flavour === 'pytest') return pytestNodeId(classname, name, file);
  if (flavour === 'node') return [...testcase.suites, name].map((part) => part.replaceAll('&quot;', '"')).join(' > ');
  const suite = testcase.suites.at(-1);
  if (classname === '' || classname === suite || classname === name) return name;
  return `${classname} > ${name}`;
}

function parse(log: string): TestResults {
  const collector = new ResultCollector();
  const results = collector.results;
  for (const block of findSuiteBlocks(stripAnsi(log))) {
    const cases: Case[] = [];
    collectCases(block.name === 'testsuite' ? { ...block, children: [block] } : block, [], cases);
    const flavour = flavourOf(block, cases);
    for (const testcase of cases) {
      const name = nameOf(flavour, testcase);
      const status = statusOf(testcase.element);
      if (flavour !== 'pytest') {
        collector.add(name, status);
        continue;
      }
      // A pytest node id seen again is the same test: merge, failing wins.
      const before = results.get(name);
      if (before === undefined || !isFailing(before) || isFailing(status)) results.set(name, status);
    }
  }
  return results;
}

function isFailing(status: TestStatus): boolean {
  return status === 'FAILED' || status === 'ERROR';
}

export const parser: LogParser = { name: 'junit', parse };
