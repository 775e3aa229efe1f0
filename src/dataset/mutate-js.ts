/**
 * Candidate bugs for a JavaScript/TypeScript file, for `swe-bot smith`
 * (issue #13): SWE-smith's procedural modifications — small, plausible
 * changes inside functions (a flipped comparison, a removed guard clause, …)
 * that the repository's own tests may catch. Pure: text in, texts out; which
 * candidates the tests catch is decided elsewhere, in containers.
 *
 * The parser is TypeScript's own (a runtime dependency for this reason), so
 * JS, JSX, TS and TSX are read as the compiler reads them. The rules of each
 * kind are in mutate-js-kinds.ts.
 */
import path from 'node:path';
import ts from 'typescript';
import { BUG_KINDS, candidatesOf, functionNameOf, type BugKind, type Candidate, type Edit } from './mutate-js-kinds.ts';

export { BUG_KINDS, type BugKind } from './mutate-js-kinds.ts';

/** One candidate bug in one file. */
export interface Mutation {
  /** Which rule made it (see BUG_KINDS in mutate-js-kinds.ts). */
  kind: BugKind;
  /** Repository-relative path, as given. */
  file: string;
  /** 1-based line of the change (of the operator, literal or statement changed). */
  line: number;
  /** Name of the enclosing function/method/arrow assigned to a name (an anonymous callback takes the name of the function around it), or undefined when there is none. */
  functionName: string | undefined;
  /** One line for people, e.g. "`a < b` → `a >= b` in parse()". */
  description: string;
  /** The file's full text after the change (the input text is the before). */
  after: string;
}

/**
 * At most this many candidates per file. A large file can give thousands,
 * each re-parsed to check it; past the cap the candidates are sampled evenly
 * over the file (so one long function at the top does not take them all).
 * The cap is applied before the parse check, so a file may give slightly fewer.
 */
export const MAX_MUTATIONS_PER_FILE = 200;

const SCRIPT_KINDS: Record<string, ts.ScriptKind> = {
  '.js': ts.ScriptKind.JS, '.mjs': ts.ScriptKind.JS, '.cjs': ts.ScriptKind.JS, '.jsx': ts.ScriptKind.JSX,
  '.ts': ts.ScriptKind.TS, '.mts': ts.ScriptKind.TS, '.cts': ts.ScriptKind.TS, '.tsx': ts.ScriptKind.TSX,
};
const DECLARATION_FILE = /\.d\.[cm]?ts$/;
/** Folders whose files are not the code under test: dependencies, build output, tests and their fixtures (and hidden folders: `.github`, `.storybook`). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage', 'vendor', 'test', 'tests', '__tests__', 'spec', '__mocks__', '__fixtures__', 'fixtures']);
/** Tests (`a.test.ts`, `a_test.js`, a package's `test.js`), configs (`vite.config.ts`), minified bundles, dotfiles (`.eslintrc.js`). */
const SKIPPED_FILE = /(?:^|[._-])(?:tests?|spec)\.[^.]+$|\.config\.[^.]+$|\.min\.[cm]?js$|^\./;
/** Generated code says so in its header; changing it tests the generator's output, not the code. Header = the first 5 lines (a license or `/* eslint-disable *\/` line often comes first). */
const GENERATED = /@generated|DO NOT EDIT/;
const HEADER_LINES = 5;

/** Whether a path is a source file worth mutating: a JS/TS source, not a declaration, test, config, build output, dependency or minified file. */
export function isMutableSource(file: string): boolean {
  const parts = file.replaceAll('\\', '/').split('/').filter((part) => part !== '' && part !== '.');
  const base = parts.pop();
  if (base === undefined || !(path.extname(base) in SCRIPT_KINDS) || DECLARATION_FILE.test(base) || SKIPPED_FILE.test(base)) return false;
  return !parts.some((folder) => SKIPPED_FOLDERS.has(folder.toLowerCase()) || folder.startsWith('.'));
}

/**
 * Every candidate bug in one file, in source order (kinds in BUG_KINDS order
 * at one position); each one keeps the file parsing and differs from the
 * input and from the others. At most MAX_MUTATIONS_PER_FILE. Deterministic:
 * the same path and text give the same list. Empty for a generated file, an unknown extension,
 * a declaration file, or a file that does not parse cleanly to begin with
 * (e.g. Flow annotations in a .js file), where a broken result could not be
 * told from the file's own state.
 */
export function mutationsOf(file: string, text: string): Mutation[] {
  const kind = SCRIPT_KINDS[path.extname(file)];
  if (kind === undefined || DECLARATION_FILE.test(file) || GENERATED.test(text.split('\n', HEADER_LINES).join('\n'))) return [];
  const sourceFile = parse(text, kind);
  if (!parsesCleanly(sourceFile)) return [];
  const chosen = sample(candidatesOf(sourceFile).sort(inSourceOrder), MAX_MUTATIONS_PER_FILE);
  const mutations: Mutation[] = [];
  const seen = new Set<string>([text]);
  for (const candidate of chosen) {
    const after = applyEdits(text, candidate.edits);
    // Two rules may make the same text; one candidate is enough.
    if (seen.has(after) || !parsesCleanly(parse(after, kind))) continue;
    seen.add(after);
    const functionName = functionNameOf(candidate.fn);
    mutations.push({
      kind: candidate.kind,
      file,
      line: sourceFile.getLineAndCharacterOfPosition(candidate.anchor).line + 1,
      functionName,
      description: `${candidate.summary} in ${functionName === undefined ? 'an anonymous function' : `${functionName}()`}`,
      after,
    });
  }
  return mutations;
}

/** The parsed file, when `file` is a JS/TS source that parses cleanly (see parsesCleanly); undefined otherwise. */
export function parseSource(file: string, text: string): ts.SourceFile | undefined {
  const kind = SCRIPT_KINDS[path.extname(file)];
  if (kind === undefined || DECLARATION_FILE.test(file)) return undefined;
  const sourceFile = parse(text, kind);
  return parsesCleanly(sourceFile) ? sourceFile : undefined;
}

function inSourceOrder(a: Candidate, b: Candidate): number {
  return a.anchor - b.anchor || BUG_KINDS.indexOf(a.kind) - BUG_KINDS.indexOf(b.kind);
}

/** `max` items spread evenly over `items`, in their order. */
function sample<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  return Array.from({ length: max }, (_, i) => items[Math.floor((i * items.length) / max)] as T);
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return out;
}

/**
 * The name the parsed text goes by: a fixed absolute path, so the program of
 * parsesCleanly finds it under the same name whatever path was given (a
 * `./src/a.ts` would be normalized and missed). Only the extension counts:
 * it tells the program the file is JS or TS.
 */
function virtualName(kind: ts.ScriptKind): string {
  const extension = kind === ts.ScriptKind.TS ? 'ts' : kind === ts.ScriptKind.TSX ? 'tsx' : kind === ts.ScriptKind.JSX ? 'jsx' : 'js';
  return `/mutate/input.${extension}`;
}

/**
 * Parent pointers on (`setParentNodes`): the rules walk up from a node to its
 * function, and `getStart()` finds its file through them.
 * https://github.com/microsoft/TypeScript/wiki/Using-the-Compiler-API#a-minimal-compiler
 */
function parse(text: string, kind: ts.ScriptKind): ts.SourceFile {
  return ts.createSourceFile(virtualName(kind), text, ts.ScriptTarget.Latest, true, kind);
}

/**
 * Whether the file has no syntax errors. A SourceFile's own parse errors
 * (`parseDiagnostics`) are internal, not in the public API; the public way
 * is `Program.getSyntacticDiagnostics(sourceFile)`, which returns them and,
 * for JS files, the TypeScript-only syntax a .js file may not use (type
 * annotations, `enum`, …). `ts.transpileModule(…, { reportDiagnostics })`
 * reports the same (it is built on that call) but also emits JavaScript we
 * would throw away. So: a one-file program over the parsed SourceFile, with
 * no lib, no module resolution and no type roots, so the host never reads
 * the disk — the way transpileModule builds its own (see
 * https://github.com/microsoft/TypeScript/wiki/Using-the-Compiler-API#transpiling-a-single-file
 * and `getSyntacticDiagnostics` on Program in typescript.d.ts). Semantic
 * errors (types, unresolved names) are not looked at: a bug may well have
 * them, and they do not stop JavaScript from running.
 */
function parsesCleanly(sourceFile: ts.SourceFile): boolean {
  const name = sourceFile.fileName;
  const host: ts.CompilerHost = {
    getSourceFile: (fileName) => (fileName === name ? sourceFile : undefined),
    writeFile: () => undefined,
    getDefaultLibFileName: () => 'lib.d.ts',
    useCaseSensitiveFileNames: () => true,
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => '',
    getNewLine: () => '\n',
    fileExists: (fileName) => fileName === name,
    readFile: () => undefined,
    directoryExists: () => true,
    getDirectories: () => [],
  };
  const options: ts.CompilerOptions = { allowJs: true, noLib: true, noResolve: true, types: [], jsx: ts.JsxEmit.Preserve, target: ts.ScriptTarget.Latest };
  const program = ts.createProgram({ rootNames: [name], options, host });
  if (program.getSourceFile(name) !== sourceFile) throw new Error(`mutate-js: the check program did not take ${name}`);
  return program.getSyntacticDiagnostics(sourceFile).length === 0;
}
