/**
 * jest's `--json` report (jest 27–30), found anywhere in the log: jest
 * writes it to stdout as one line while its progress goes to stderr, so in a
 * merged log other text comes before and after it.
 *
 * Names (../shared/corpus/README.md, "Test names"): one test per assertion
 * result, named by `fullName`, else the ancestor titles and the title joined
 * by a space. Status: passed → PASSED, failed → FAILED, pending / skipped /
 * todo / disabled → SKIPPED. A test file that failed to run (status
 * `failed`, no assertion results: a syntax error, a missing module) is one
 * ERROR named by the file's path relative to the root directory.
 *
 * The report carries only absolute file paths and no root directory. The
 * path is made relative to, in order: the `rootDir` option (default
 * `/testbed`, where instances check the repository out); a `PASS path` /
 * `FAIL path` line elsewhere in the log (jest's own progress on stderr)
 * that ends the absolute path; else it stays absolute.
 *
 * A cut log (no whole report) is read as far as it goes: each whole
 * `testResults` entry, then each whole assertion result after the last one.
 *
 * The JSON helpers here are shared with vitest-json.ts.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults, type TestStatus } from '../test-status.ts';

/** Where instances check the repository out (the runners' working directory). */
export const DEFAULT_ROOT_DIR = '/testbed';

export interface AssertionResult {
  ancestorTitles?: unknown;
  title?: unknown;
  fullName?: unknown;
  status?: unknown;
}

export interface FileResult {
  name?: unknown;
  status?: unknown;
  assertionResults?: unknown;
}

export interface JsonReport {
  /** Whole `testResults` entries, in order. */
  files: FileResult[];
  /** Assertion results read one by one from a cut entry (no file known). */
  loose: AssertionResult[];
}

export interface JsonParserOptions {
  /** The runner's root directory; file paths under it are made relative. */
  rootDir?: string;
}

const REPORT_START = /\{\s*"num[A-Z]\w*"\s*:/g;
const ENTRY_START = /\{\s*"assertionResults"\s*:/g;
const ASSERTION_START = /\{\s*"ancestorTitles"\s*:/g;

/** Finds the report (or what is left of it) in a log; never throws. */
export function readJsonReport(text: string): JsonReport | undefined {
  for (const match of text.matchAll(REPORT_START)) {
    const value = parseObjectAt(text, match.index);
    if (isRecord(value) && Array.isArray(value.testResults)) {
      return { files: value.testResults.filter(isRecord), loose: [] };
    }
  }
  // No whole report (a cut log): salvage the whole entries, and the whole
  // assertion results of an entry that is cut (up to the next whole entry).
  const files: FileResult[] = [];
  const loose: AssertionResult[] = [];
  let after = 0;
  let cutFrom: number | undefined;
  const salvage = (until: number): void => {
    if (cutFrom === undefined) return;
    for (const match of text.slice(cutFrom, until).matchAll(ASSERTION_START)) {
      const value = parseObjectAt(text, cutFrom + match.index);
      if (isRecord(value)) loose.push(value);
    }
    cutFrom = undefined;
  };
  for (const match of text.matchAll(ENTRY_START)) {
    if (match.index < after) continue;
    const end = matchingBrace(text, match.index);
    const value = end < 0 ? undefined : tryParse(text.slice(match.index, end + 1));
    if (isRecord(value)) {
      salvage(match.index);
      files.push(value);
      after = end + 1;
    } else {
      cutFrom ??= match.index;
    }
  }
  salvage(text.length);
  return files.length > 0 || loose.length > 0 ? { files, loose } : undefined;
}

/** The JSON object that opens at `start`, or undefined. */
function parseObjectAt(text: string, start: number): unknown {
  const end = matchingBrace(text, start);
  return end < 0 ? undefined : tryParse(text.slice(start, end + 1));
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The index of the `}` closing the object that opens at `start` (strings respected), or -1. */
export function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i += 1;
      else if (ch === 0x22) inString = false;
      else if (ch === 0x0a) return -1; // JSON strings hold no raw newline
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x7b || ch === 0x5b) depth += 1;
    else if (ch === 0x7d || ch === 0x5d) {
      depth -= 1;
      if (depth === 0) return ch === 0x7d ? i : -1;
      if (depth < 0) return -1;
    }
  }
  return -1;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** jest's and vitest's assertion statuses; undefined for one not known. */
export function statusOf(status: unknown): TestStatus | undefined {
  switch (status) {
    case 'passed':
      return 'PASSED';
    case 'failed':
      return 'FAILED';
    case 'pending':
    case 'skipped':
    case 'todo':
    case 'disabled':
      return 'SKIPPED';
    default:
      return undefined;
  }
}

export function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function assertionsOf(file: FileResult): AssertionResult[] {
  return Array.isArray(file.assertionResults) ? file.assertionResults.filter(isRecord) : [];
}

/** A file that failed to run: status failed and no assertion results. */
export function failedToRun(file: FileResult): boolean {
  return file.status === 'failed' && assertionsOf(file).length === 0;
}

/**
 * Makes a runner's absolute file path relative: to `rootDir` when under it,
 * else to whatever a `hints` path (as the runner printed it elsewhere)
 * shows, else it stays as it is.
 */
export function relativePath(file: string, rootDir: string | undefined, hints: Iterable<string>): string {
  const roots = rootDir === undefined ? [] : [rootDir.replace(/\/+$/, '')];
  for (const root of roots) if (root !== '' && file.startsWith(`${root}/`)) return file.slice(root.length + 1);
  let best: string | undefined;
  for (const hint of hints) {
    if (!hint.startsWith('/') && file.endsWith(`/${hint}`) && (best === undefined || hint.length > best.length)) best = hint;
  }
  return best ?? file;
}

/** Paths jest printed in `PASS path` / `FAIL path` progress lines. */
function jestHints(text: string): Set<string> {
  const hints = new Set<string>();
  for (const match of text.matchAll(/^(?:PASS|FAIL)\s+(\S+)/gm)) if (match[1]) hints.add(match[1]);
  return hints;
}

export function createJestJsonParser(options: JsonParserOptions = {}): LogParser {
  const rootDir = options.rootDir ?? DEFAULT_ROOT_DIR;
  return {
    name: 'jest-json',
    parse(log: string): TestResults {
      const collector = new ResultCollector();
      const text = stripAnsi(log);
      const report = readJsonReport(text);
      if (!report) return collector.results;
      const add = (assertion: AssertionResult): void => {
        const status = statusOf(assertion.status);
        if (status === undefined) return;
        const fullName = typeof assertion.fullName === 'string' && assertion.fullName !== '' ? assertion.fullName : undefined;
        const title = typeof assertion.title === 'string' ? assertion.title : '';
        const name = fullName ?? [...strings(assertion.ancestorTitles), title].join(' ');
        if (name !== '') collector.add(name, status);
      };
      let hints: Set<string> | undefined;
      for (const file of report.files) {
        if (failedToRun(file)) {
          if (typeof file.name === 'string' && file.name !== '') {
            hints ??= jestHints(text);
            collector.add(relativePath(file.name, rootDir, hints), 'ERROR');
          }
          continue;
        }
        for (const assertion of assertionsOf(file)) add(assertion);
      }
      for (const assertion of report.loose) add(assertion);
      return collector.results;
    },
  };
}

export const parser: LogParser = createJestJsonParser();
