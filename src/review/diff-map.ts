/**
 * A unified diff (`git diff`) read into files, hunks and numbered lines, so a
 * review comment's anchor can be checked before it is posted.
 *
 * GitHub places a pull-request review comment by `path`, `line` and `side`
 * (and `start_line` / `start_side` for a range): RIGHT is the head version
 * (added and unchanged lines), LEFT the base version (deleted and unchanged
 * lines), and the lines must sit inside the diff's hunks — a comment anywhere
 * else is rejected with 422.
 * https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
 * https://docs.github.com/en/rest/pulls/comments#create-a-review-comment-for-a-pull-request
 */

export type Side = 'LEFT' | 'RIGHT';

export interface DiffLine {
  kind: 'add' | 'delete' | 'context';
  /** Line number in the base file (delete and context lines). */
  oldLine?: number;
  /** Line number in the head file (add and context lines). */
  newLine?: number;
  text: string;
}

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the second `@@` (often the enclosing function). */
  heading: string;
  lines: DiffLine[];
}

export interface DiffFile {
  /** Path in the head (the base path for a deleted file). */
  path: string;
  /** Path in the base, when it differs (renames). */
  oldPath?: string;
  status: 'added' | 'deleted' | 'modified' | 'renamed';
  binary: boolean;
  hunks: DiffHunk[];
}

/** Reads `git diff` output (any number of files). Unknown header lines are ignored. */
export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let hunk: DiffHunk | undefined;
  let oldLine = 0;
  let newLine = 0;
  for (const raw of text.split('\n')) {
    if (raw.startsWith('diff --git ')) {
      file = { path: pathFromDiffGit(raw), status: 'modified', binary: false, hunks: [] };
      files.push(file);
      hunk = undefined;
      continue;
    }
    if (file === undefined) continue;
    const header = hunk === undefined || (hunk.lines.length > 0 && remaining(hunk, oldLine, newLine) === 0);
    if (raw.startsWith('@@ ')) {
      const match = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/.exec(raw);
      if (match === null) continue;
      hunk = {
        oldStart: Number(match[1]),
        oldLines: match[2] === undefined ? 1 : Number(match[2]),
        newStart: Number(match[3]),
        newLines: match[4] === undefined ? 1 : Number(match[4]),
        heading: match[5] ?? '',
        lines: [],
      };
      file.hunks.push(hunk);
      oldLine = hunk.oldStart;
      newLine = hunk.newStart;
      continue;
    }
    if (hunk === undefined || header) {
      readHeaderLine(file, raw);
      continue;
    }
    const mark = raw[0];
    const body = raw.slice(1);
    if (mark === '+') hunk.lines.push({ kind: 'add', newLine: newLine++, text: body });
    else if (mark === '-') hunk.lines.push({ kind: 'delete', oldLine: oldLine++, text: body });
    else if (mark === ' ' || raw === '') hunk.lines.push({ kind: 'context', oldLine: oldLine++, newLine: newLine++, text: body });
    // `\ No newline at end of file` and anything else is not a line of either file.
  }
  return files;
}

/** Lines a hunk still expects, from its header counts. */
function remaining(hunk: DiffHunk, oldLine: number, newLine: number): number {
  return hunk.oldStart + hunk.oldLines - oldLine + (hunk.newStart + hunk.newLines - newLine);
}

function readHeaderLine(file: DiffFile, raw: string): void {
  if (raw.startsWith('new file mode')) file.status = 'added';
  else if (raw.startsWith('deleted file mode')) file.status = 'deleted';
  else if (raw.startsWith('rename from ')) {
    file.status = 'renamed';
    file.oldPath = unquote(raw.slice('rename from '.length));
  } else if (raw.startsWith('rename to ')) file.path = unquote(raw.slice('rename to '.length));
  else if (raw.startsWith('Binary files ') || raw === 'GIT binary patch') file.binary = true;
  else if (raw.startsWith('+++ ') && !raw.startsWith('+++ /dev/null')) file.path = stripPrefix(unquote(raw.slice(4)), 'b/');
  else if (raw.startsWith('--- ') && !raw.startsWith('--- /dev/null')) {
    const old = stripPrefix(unquote(raw.slice(4)), 'a/');
    if (file.status === 'deleted') file.path = old;
    else if (old !== file.path) file.oldPath = old;
  }
}

/** `diff --git a/x b/x`: the head path, exact when both sides are equal (no rename). */
function pathFromDiffGit(line: string): string {
  const rest = line.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const end = closingQuote(rest);
    const second = rest.slice(end + 2);
    return stripPrefix(unquote(second), 'b/');
  }
  // Unquoted: "a/P b/P" with the same P on both sides when not renamed.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest.slice(2, half) === rest.slice(half + 3)) return rest.slice(half + 3);
  const split = rest.lastIndexOf(' b/');
  return split === -1 ? rest : rest.slice(split + 3);
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

function stripPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

const ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };

/** git quotes paths with unusual bytes as C strings ("a/t\303\251st"); this undoes it. */
export function unquote(text: string): string {
  const trimmed = text.replace(/\t$/, '');
  if (!trimmed.startsWith('"') || !trimmed.endsWith('"') || trimmed.length < 2) return trimmed;
  const bytes: number[] = [];
  const inner = trimmed.slice(1, -1);
  for (let i = 0; i < inner.length; i += 1) {
    const char = inner[i] as string;
    if (char !== '\\') {
      bytes.push(...Buffer.from(char, 'utf8'));
      continue;
    }
    const next = inner[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(inner.slice(i + 1));
    if (octal !== null) {
      bytes.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Where a review comment points. `startLine` and `line` are on `side` when `startSide` is absent. */
export interface Anchor {
  path: string;
  line: number;
  side: Side;
  startLine?: number;
  startSide?: Side;
}

/**
 * Why an anchor cannot be posted, or undefined when it can: the file must be
 * in the diff with text hunks, the line must be inside a hunk on that side,
 * and a range must lie within one hunk, start before it ends.
 */
export function anchorProblem(files: readonly DiffFile[], anchor: Anchor): string | undefined {
  const file = files.find((candidate) => candidate.path === anchor.path);
  if (file === undefined) return `${anchor.path} is not changed by this pull request`;
  if (file.binary || file.hunks.length === 0) return `${anchor.path} has no text changes to comment on`;
  const end = hunkOf(file, anchor.line, anchor.side);
  if (end === undefined) return `${anchor.path}:${anchor.line} (${anchor.side}) is outside the changed lines`;
  if (anchor.startLine === undefined) return undefined;
  const startSide = anchor.startSide ?? anchor.side;
  const start = hunkOf(file, anchor.startLine, startSide);
  if (start === undefined) return `${anchor.path}:${anchor.startLine} (${startSide}), where the range starts, is outside the changed lines`;
  if (start.hunk !== end.hunk) return `${anchor.path}:${anchor.startLine}-${anchor.line} spans more than one hunk of the diff`;
  if (start.index > end.index) return `${anchor.path}:${anchor.startLine}-${anchor.line} starts after it ends`;
  return undefined;
}

function hunkOf(file: DiffFile, line: number, side: Side): { hunk: DiffHunk; index: number } | undefined {
  for (const hunk of file.hunks) {
    const index = hunk.lines.findIndex((entry) => (side === 'RIGHT' ? entry.newLine : entry.oldLine) === line);
    if (index !== -1) return { hunk, index };
  }
  return undefined;
}

/** Where a line sits in its file's diff (0 = the first line of the first hunk); -1 when it is not there. */
export function diffPosition(file: DiffFile, line: number, side: Side): number {
  let offset = 0;
  for (const hunk of file.hunks) {
    const index = hunk.lines.findIndex((entry) => (side === 'RIGHT' ? entry.newLine : entry.oldLine) === line);
    if (index !== -1) return offset + index;
    offset += hunk.lines.length;
  }
  return -1;
}

/** The diff line an anchor points at (its last line). */
export function lineAt(files: readonly DiffFile[], path: string, line: number, side: Side): DiffLine | undefined {
  const file = files.find((candidate) => candidate.path === path);
  if (file === undefined) return undefined;
  const found = hunkOf(file, line, side);
  return found?.hunk.lines[found.index];
}

/**
 * A file's diff as the model sees it: each line carries its base and head
 * numbers, so the model can name `line` and `side` without counting.
 *
 *     @@ -10,3 +10,4 @@ function add
 *       10   10 |   const x = 1;
 *       11      | - return a + b;
 *            11 | + return Number(a) + Number(b);
 */
export function numberedDiff(file: DiffFile): string {
  const width = Math.max(
    3,
    ...file.hunks.map((hunk) => String(Math.max(hunk.oldStart + hunk.oldLines, hunk.newStart + hunk.newLines)).length),
  );
  const pad = (value: number | undefined): string => (value === undefined ? '' : String(value)).padStart(width);
  const out: string[] = [];
  for (const hunk of file.hunks) {
    out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@${hunk.heading ? ` ${hunk.heading}` : ''}`);
    for (const line of hunk.lines) {
      const mark = line.kind === 'add' ? '+' : line.kind === 'delete' ? '-' : ' ';
      out.push(`${pad(line.oldLine)} ${pad(line.newLine)} | ${mark} ${line.text}`);
    }
  }
  return out.join('\n');
}

/** Lines added plus lines deleted. */
export function changedLines(file: DiffFile): number {
  return file.hunks.reduce((sum, hunk) => sum + hunk.lines.filter((line) => line.kind !== 'context').length, 0);
}
