/**
 * The log of a test command that runs each package of a monorepo on its own
 * (src/sandbox/node-test-command.ts writes it when a repository's tests live
 * in its workspaces): before each package's run, a marker line
 * `>>>>> Section <parser> <folder>` (src/util/log-sections.ts).
 *
 * Each section is read by the parser its marker names, and each of its tests
 * is named `<folder> > <name as that parser gives it>`: packages are run in
 * their own folders, where runners name files relative to the package, so
 * two packages' `test/index.test.js` would otherwise give the same names.
 * The package's folder (relative to the repository) is stable between runs.
 * What comes before the first marker is the wrapper's own output and is not
 * read. The parsing itself is `parseSections` in auto.ts, beside the parsers
 * it dispatches to.
 */
import type { LogParser } from '../test-status.ts';
import { parseSections } from './auto.ts';

export const parser: LogParser = { name: 'workspaces', parse: parseSections };
