/**
 * Candidate bugs for Python files, for `swe-bot smith` (issue #13): the
 * kinds of mutate-js.ts, found by Python's own `ast` run inside the
 * repository's environment container, so a file is read by the Python that
 * runs its tests (a `match` statement, a 3.12 f-string, Python 2 leftovers
 * are that Python's business, not ours). The script is mutate-py-script.ts;
 * this side sends it with the file list, reads its JSON lines and applies
 * its line edits to the text it read.
 *
 * The rules mirror mutate-js-kinds.ts in Python's terms: comparisons
 * include `is`/`is not` and `in`/`not in`; a loop bound is a `while`
 * condition's and `range()`'s; an index includes slice bounds, where `-N`
 * becomes `-(N + 1)`; `len(…)` plays `.length`; a name's first binding in a
 * function is Python's declaration, so remove_assignment skips it; a
 * block's only statement, removed, becomes `pass`. Each candidate is checked
 * with `ast.parse` there and dropped when it fails or equals the original.
 *
 * The script's protocol: `python3 - CONFIG FILE…`, the script on standard
 * input, in the repository's folder. CONFIG is JSON: `max` (candidates per
 * file), `maxBytes` (larger files are skipped), `kinds` (BUG_KINDS: the
 * order at one position). It prints one JSON line per file, in order:
 * `{file, skipped}` or `{file, text, bom, mutations: [{kind, line, function,
 * summary, start, end, lines}]}`, where lines `start`…`end` (1-based,
 * inclusive) of `text` become `lines`. Line edits, not offsets: ast columns
 * count UTF-8 bytes, JavaScript strings UTF-16 units; whole lines are the
 * same in both.
 */
import { z } from 'zod';
import { shellQuote } from '../util/shell-quote.ts';
import { BUG_KINDS, MAX_MUTATIONS_PER_FILE, type Mutation } from './mutate-js.ts';
import { MUTATE_PY_SCRIPT } from './mutate-py-script.ts';

/** Runs a bash command in the repository's container: the shape of Instance.exec, so a box plugs in. */
export type PythonExec = (command: string, options: { timeoutMs: number; maxOutputBytes?: number }) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** Where the container has the repository; the file paths are relative to it. */
const TESTBED = '/testbed';
/** Files larger than this are skipped, as candidateBugs skips large JS files (generated tables, vendored code). */
const MAX_FILE_BYTES = 512 * 1024;
/**
 * Files per command. Bounds what one command prints (each file's text comes
 * back with its edits) and its length: bash -c gets the command as one
 * argument, which Linux caps at 128 KiB (MAX_ARG_STRLEN), script included.
 */
const FILES_PER_BATCH = 20;
const MAX_ARGUMENT_BYTES = 32 * 1024;
/** One batch: each candidate is re-parsed, ~0.5 s for a 2,000-line file's 200; generous for slow machines. */
const BATCH_TIMEOUT_MS = 10 * 60_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const DELIMITER = 'SWE_BOT_MUTATE_PY';

/** Folders whose files are not the code under test: tests, docs, examples, build output, environments, hidden folders, migrations. */
const SKIPPED_FOLDERS = new Set(['test', 'tests', 'testing', 'docs', 'doc', 'examples', 'example', 'build', 'dist', 'venv', '.venv', 'site-packages', 'node_modules', '__pycache__', 'migrations']);
/** Tests (`test_a.py`, `a_test.py`, Django's `tests.py`), pytest's `conftest.py`, packaging and task files. */
const SKIPPED_FILE = /^(?:test_.*|.*_test|tests?|conftest|setup|noxfile|fabfile)\.py$/;

/** Whether a path is a Python source file worth mutating: a `.py` file, not a test, packaging file, doc, example, build output or dependency. */
export function isMutablePythonSource(file: string): boolean {
  const parts = file.replaceAll('\\', '/').split('/').filter((part) => part !== '' && part !== '.');
  const base = parts.pop();
  if (base === undefined || !base.endsWith('.py') || SKIPPED_FILE.test(base) || base.startsWith('.')) return false;
  return !parts.some((folder) => SKIPPED_FOLDERS.has(folder.toLowerCase()) || folder.startsWith('.'));
}

const Record = z.object({
  file: z.string(),
  skipped: z.string().optional(),
  text: z.string().optional(),
  bom: z.boolean().optional(),
  mutations: z.array(z.object({
    kind: z.enum(BUG_KINDS),
    line: z.number().int().positive(),
    function: z.string().nullable(),
    summary: z.string(),
    start: z.number().int().positive(),
    end: z.number().int().nonnegative(),
    lines: z.string(),
  })).optional(),
});

/**
 * Every candidate bug in the given Python files (paths relative to the
 * repository), file by file in the given order, each file's in source order
 * (kinds in BUG_KINDS order at one position), at most MAX_MUTATIONS_PER_FILE
 * per file, sampled evenly as mutate-js.ts does. Deterministic for one
 * Python version. A file that does not parse for that Python, is not UTF-8,
 * is larger than 512 KiB or says it is generated gives none.
 * Throws when the container has no Python 3.8+ or a batch fails as a whole
 * (time limit, memory): the caller decides whether the other languages go on.
 */
export async function pythonMutations(exec: PythonExec, files: readonly string[]): Promise<Mutation[]> {
  const out: Mutation[] = [];
  for (const batch of batches(files)) {
    const result = await exec(pythonCommand(batch), { timeoutMs: BATCH_TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT_BYTES });
    if (result.exitCode !== 0) {
      throw new Error(`mutate-py: the Python script failed (exit ${result.exitCode}): ${result.stderr.trim().slice(-2000) || result.stdout.trim().slice(-500)}`);
    }
    for (const line of result.stdout.split('\n')) {
      // A line cut by the output cap does not parse and costs only its file.
      const record = parseRecord(line);
      if (record !== undefined && batch.includes(record.file)) out.push(...mutationsOf(record));
    }
  }
  return out;
}

function parseRecord(line: string): z.infer<typeof Record> | undefined {
  if (line.trim() === '') return undefined;
  try {
    const parsed = Record.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function mutationsOf(record: z.infer<typeof Record>): Mutation[] {
  if (record.text === undefined || record.mutations === undefined) return [];
  const lines = splitLines(record.text);
  const bom = record.bom === true ? '\uFEFF' : '';
  const out: Mutation[] = [];
  for (const edit of record.mutations) {
    if (edit.end < edit.start - 1 || edit.end > lines.length) continue;
    const after = bom + lines.slice(0, edit.start - 1).join('') + edit.lines + lines.slice(edit.end).join('');
    const functionName = edit.function ?? undefined;
    out.push({
      kind: edit.kind,
      file: record.file,
      line: edit.line,
      functionName,
      description: `${edit.summary} in ${functionName === undefined ? 'an anonymous function' : `${functionName}()`}`,
      after,
    });
  }
  return out;
}

/** Lines with their endings, split where Python's tokenizer (and `bytes.splitlines`) splits: `\r\n`, `\r`, `\n`. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '\r' && text[i + 1] === '\n') i += 1;
    if (c === '\r' || c === '\n') {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** The files in groups of at most FILES_PER_BATCH and MAX_ARGUMENT_BYTES of quoted paths. */
function batches(files: readonly string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const file of files) {
    const size = Buffer.byteLength(shellQuote(file)) + 1;
    if (current.length > 0 && (current.length >= FILES_PER_BATCH || bytes + size > MAX_ARGUMENT_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * The command: python3, else python (an image may have only one of them),
 * checked to be 3.8+, reading the script from a quoted heredoc (no expansion
 * in it) with the config and the files as arguments.
 */
export function pythonCommand(files: readonly string[]): string {
  const config = JSON.stringify({ max: MAX_MUTATIONS_PER_FILE, maxBytes: MAX_FILE_BYTES, kinds: BUG_KINDS });
  return [
    `cd ${TESTBED} || exit 1`,
    'py=$(command -v python3 || command -v python) || { echo "no python3 or python on PATH" >&2; exit 127; }',
    '"$py" -c "import sys; sys.exit(sys.version_info < (3, 8))" || { echo "$py is not Python 3.8 or later" >&2; exit 3; }',
    `"$py" - ${shellQuote(config)} ${files.map(shellQuote).join(' ')} <<'${DELIMITER}'`,
    MUTATE_PY_SCRIPT.trim(),
    DELIMITER,
    '',
  ].join('\n');
}
