/**
 * vitest's `--reporter=json` report (vitest 1–3; jest's shape), found
 * anywhere in the log.
 *
 * Names agree with vitest's `--reporter=tap-flat` (read by the tap parser)
 * and with the vitest parser: `<file> > <describe> > … > <title>`, the file
 * relative to the root directory, each part spelled as vitest's TAP reporter
 * spells it (`\` → `\\`, `#` → `\#`; see tapSpelling in vitest.ts), since
 * dataset lists made with tap-flat keep those escapes (zod's
 * `… issue \#5151 regression test`). The report's `fullName` joins titles with
 * spaces and leaves the file out, so names are built from `ancestorTitles`
 * and `title`; `testResults[].name` is the absolute path of the file.
 * Status: passed → PASSED, failed → FAILED, skipped / pending / todo →
 * SKIPPED. A file that failed to run (status `failed`, no assertion
 * results: a syntax error, a failed import) is one ERROR named by its path
 * (tap-flat reports the same file as a failing test of that name).
 *
 * The report has no root directory: paths are made relative to the
 * `rootDir` option (default `/testbed`, where instances check the
 * repository out), else to the root in vitest's ` RUN  v3.2.4 /root` banner
 * when another reporter printed one, else they stay absolute.
 * A cut log is read as far as its whole `testResults` entries go.
 */
import { ResultCollector, stripAnsi, type LogParser, type TestResults } from '../test-status.ts';
import {
  DEFAULT_ROOT_DIR,
  assertionsOf,
  failedToRun,
  readJsonReport,
  relativePath,
  statusOf,
  strings,
  type JsonParserOptions,
} from './jest-json.ts';
import { tapSpelling } from './vitest.ts';

const BANNER = /^\s*RUN\s+v\d\S*\s+(\/.*?)\s*$/gm;

export function createVitestJsonParser(options: JsonParserOptions = {}): LogParser {
  return {
    name: 'vitest-json',
    parse(log: string): TestResults {
      const collector = new ResultCollector();
      const text = stripAnsi(log);
      const report = readJsonReport(text);
      if (!report) return collector.results;
      const banner = [...text.matchAll(BANNER)].map((match) => match[1] ?? '').filter((root) => root !== '');
      const rootDir = options.rootDir ?? DEFAULT_ROOT_DIR;
      const fileName = (file: string): string => {
        const made = relativePath(file, rootDir, []);
        if (made !== file) return made;
        for (const root of banner) {
          const relative = relativePath(file, root, []);
          if (relative !== file) return relative;
        }
        return file;
      };
      for (const file of report.files) {
        if (typeof file.name !== 'string' || file.name === '') continue;
        const name = tapSpelling(fileName(file.name));
        if (failedToRun(file)) {
          collector.add(name, 'ERROR');
          continue;
        }
        for (const assertion of assertionsOf(file)) {
          const status = statusOf(assertion.status);
          const title = typeof assertion.title === 'string' ? assertion.title : '';
          if (status === undefined || title === '') continue;
          // TAP lines lose a title's trailing spaces (zod has `'z.config customError '`).
          const parts = [name, ...strings(assertion.ancestorTitles).map(tapSpelling), tapSpelling(title)];
          collector.add(parts.join(' > ').trimEnd(), status);
        }
      }
      return collector.results;
    },
  };
}

export const parser: LogParser = createVitestJsonParser();
