/**
 * str_replace_editor: viewing, creating and editing files by exact text
 * replacement, with an undo history per file. Content goes through the
 * target's readFile/writeFile (bytes exact, no shell quoting); listings and
 * file types come from `find` and `stat`.
 *
 * One editor belongs to one agent run: its undo history lives in the object
 * (createEditor()).
 */
import path from 'node:path';
import { shellQuote } from '../../util/shell-quote.ts';
import type { ToolSpec } from '../tool-spec.ts';
import { OBSERVATION_MAX_CHARS, cutMiddle } from './observation.ts';
import { errorOutput, okOutput, type Tool, type ToolContext, type ToolOutput, type ToolTarget } from './types.ts';

/** Lines of context shown around an edit. */
export const SNIPPET_CONTEXT_LINES = 4;
/** Undo levels kept per file. */
export const UNDO_DEPTH = 20;

const COMMANDS = ['view', 'create', 'str_replace', 'insert', 'undo_edit'] as const;
type Command = (typeof COMMANDS)[number];

const SPEC: ToolSpec = {
  name: 'str_replace_editor',
  description: [
    'View, create and edit files. Paths must be absolute (e.g. /testbed/src/app.py).',
    '* view: a file is shown with line numbers (like `cat -n`); `view_range` [start, end] shows only those lines (1-based, end -1 = to the end of the file). A directory is listed two levels deep, without hidden entries and node_modules.',
    '* create: makes a new file (and its folders) holding `file_text`. Refused if the file exists: change existing files with str_replace or insert.',
    '* str_replace: replaces `old_str` with `new_str` (empty `new_str` deletes). `old_str` must match the file exactly once, character for character including whitespace and indentation; if it matches nowhere or more than once nothing is changed, so include enough surrounding lines to make it unique. Line numbers shown by view are not part of the file.',
    '* insert: inserts `new_str` as whole lines after line `insert_line` (0 = at the top of the file).',
    '* undo_edit: reverts the last change this tool made to the file; repeat to go further back.',
    'The edited region is shown after each change: check it.',
  ].join('\n'),
  parameters: {
    command: { type: 'string', description: 'What to do.', enum: COMMANDS },
    path: { type: 'string', description: 'Absolute path of the file or directory.' },
    file_text: { type: 'string', description: 'For create: the whole content of the new file.' },
    old_str: { type: 'string', description: 'For str_replace: the exact text to replace; must occur exactly once.' },
    new_str: { type: 'string', description: 'For str_replace: the replacement (may be empty). For insert: the lines to insert.' },
    insert_line: { type: 'integer', description: 'For insert: the line after which new_str goes (0 = before the first line).' },
    view_range: {
      type: 'array',
      items: { type: 'integer' },
      description: 'For view of a file: [start, end], 1-based and inclusive; end -1 means to the end of the file.',
    },
  },
  required: ['command', 'path'],
};

type PathKind = { kind: 'missing' } | { kind: 'file'; mode: number } | { kind: 'directory' } | { kind: 'other'; type: string };

class EditFailure extends Error {}

export interface Editor extends Tool {
  /** Undo levels held for a path (for tests and diagnostics). */
  undoDepth(file: string): number;
}

export function createEditor(): Editor {
  /** Per path, earlier contents, oldest first; null = the file did not exist. */
  const history = new Map<string, (Buffer | null)[]>();

  function remember(file: string, before: Buffer | null): void {
    const list = history.get(file) ?? [];
    list.push(before);
    if (list.length > UNDO_DEPTH) list.shift();
    history.set(file, list);
  }

  async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutput> {
    const command = args['command'] as Command;
    const rawPath = typeof args['path'] === 'string' ? args['path'].trim() : '';
    if (!rawPath.startsWith('/')) {
      const hint = rawPath === '' ? '' : ` Did you mean ${path.posix.join('/testbed', rawPath)}?`;
      return errorOutput(`The path "${rawPath}" is not absolute: give a full path starting with /.${hint}`);
    }
    const file = path.posix.normalize(rawPath).replace(/(.)\/+$/, '$1');
    try {
      switch (command) {
        case 'view':
          return await view(ctx.target, file, args['view_range']);
        case 'create':
          return await create(ctx.target, file, args['file_text']);
        case 'str_replace':
          return await replace(ctx.target, file, args['old_str'], args['new_str']);
        case 'insert':
          return await insert(ctx.target, file, args['insert_line'], args['new_str']);
        case 'undo_edit':
          return await undo(ctx.target, file);
        default:
          return errorOutput(`Unknown command "${String(command)}": use one of ${COMMANDS.join(', ')}.`);
      }
    } catch (error) {
      if (error instanceof EditFailure) return errorOutput(error.message);
      throw error;
    }
  }

  async function create(target: ToolTarget, file: string, fileText: unknown): Promise<ToolOutput> {
    if (typeof fileText !== 'string') return errorOutput('create needs `file_text`: the content of the new file.');
    const kind = await statPath(target, file);
    if (kind.kind === 'directory') return errorOutput(`${file} is an existing directory; create makes new files only.`);
    if (kind.kind !== 'missing') {
      return errorOutput(
        `${file} already exists; create does not overwrite files. Use str_replace or insert to change it, or view to read it.`,
      );
    }
    await target.writeFile(file, fileText);
    remember(file, null);
    const lines = splitLines(fileText).length;
    return okOutput(`Created ${file} (${lines} line${lines === 1 ? '' : 's'}).`);
  }

  async function replace(target: ToolTarget, file: string, oldStr: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof oldStr !== 'string' || oldStr === '') {
      return errorOutput('str_replace needs a non-empty `old_str`: the exact text to replace.');
    }
    const replacement = typeof newStr === 'string' ? newStr : '';
    const { bytes, text, mode } = await readText(target, file);
    const starts = occurrences(text, oldStr);
    if (starts.length === 0) {
      return errorOutput(
        `No replacement was made: old_str was not found in ${file}. It must match exactly, including whitespace, ` +
          `indentation and line breaks (line numbers shown by view are not part of the file). The text searched for:\n${quoteBlock(oldStr)}`,
      );
    }
    if (starts.length > 1) {
      const lines = starts.map((start) => lineOf(text, start));
      return errorOutput(
        `No replacement was made: old_str occurs ${starts.length} times in ${file}, starting at lines ${lines.join(', ')}. ` +
          'Include more surrounding lines so that it matches exactly once.',
      );
    }
    const start = starts[0] ?? 0;
    const edited = text.slice(0, start) + replacement + text.slice(start + oldStr.length);
    await target.writeFile(file, Buffer.from(edited, 'utf8'), { mode });
    remember(file, bytes);
    const firstLine = lineOf(edited, start);
    const lastLine = firstLine + Math.max(0, splitLines(replacement).length - 1);
    return okOutput(`Edited ${file}. ${snippet(edited, firstLine, lastLine)}`);
  }

  async function insert(target: ToolTarget, file: string, insertLine: unknown, newStr: unknown): Promise<ToolOutput> {
    if (typeof newStr !== 'string') return errorOutput('insert needs `new_str`: the lines to insert.');
    if (typeof insertLine !== 'number' || !Number.isInteger(insertLine)) {
      return errorOutput('insert needs `insert_line`: the line number after which to insert (0 = at the top).');
    }
    const { bytes, text, mode } = await readText(target, file);
    const lines = splitLines(text);
    if (insertLine < 0 || insertLine > lines.length) {
      return errorOutput(`insert_line ${insertLine} is out of range: ${file} has ${lines.length} lines, so use 0 to ${lines.length}.`);
    }
    const finalNewline = text === '' || text.endsWith('\n');
    const added = splitLines(newStr.endsWith('\n') ? newStr : `${newStr}\n`);
    if (added.length === 0) added.push('');
    const result = [...lines.slice(0, insertLine), ...added, ...lines.slice(insertLine)];
    const edited = result.join('\n') + (finalNewline ? '\n' : '');
    await target.writeFile(file, Buffer.from(edited, 'utf8'), { mode });
    remember(file, bytes);
    return okOutput(`Inserted ${added.length} line${added.length === 1 ? '' : 's'} into ${file}. ${snippet(edited, insertLine + 1, insertLine + added.length)}`);
  }

  async function undo(target: ToolTarget, file: string): Promise<ToolOutput> {
    const list = history.get(file);
    const previous = list?.pop();
    if (list === undefined || previous === undefined) return errorOutput(`There is no edit of ${file} to undo.`);
    if (previous === null) {
      const removed = await target.exec(`rm -f -- ${shellQuote(file)}`, { timeoutMs: 30_000 });
      if (removed.exitCode !== 0) throw new EditFailure(`Cannot remove ${file}: ${removed.stdout}${removed.stderr}`.trim());
      return okOutput(`Undid the creation of ${file}: the file is removed.`);
    }
    const kind = await statPath(target, file);
    await target.writeFile(file, previous, kind.kind === 'file' ? { mode: kind.mode } : {});
    const text = decodeUtf8(previous);
    const more = list.length === 0 ? '' : ` (${list.length} earlier version${list.length === 1 ? '' : 's'} left to undo)`;
    if (text === undefined) return okOutput(`Restored the previous content of ${file}${more}.`);
    return okOutput(`Restored the previous content of ${file}${more}.\n${numbered(splitLines(text), 1, Math.min(splitLines(text).length, 2 * SNIPPET_CONTEXT_LINES + 1))}`);
  }

  return {
    spec: SPEC,
    run,
    undoDepth: (file) => history.get(path.posix.normalize(file))?.length ?? 0,
  };
}

async function view(target: ToolTarget, file: string, range: unknown): Promise<ToolOutput> {
  const kind = await statPath(target, file);
  if (kind.kind === 'missing') return errorOutput(`${file} does not exist.`);
  if (kind.kind === 'directory') {
    if (range !== undefined) return errorOutput('view_range applies to files only, not to directories.');
    return listDirectory(target, file);
  }
  const { text } = await readText(target, file);
  const lines = splitLines(text);
  if (lines.length === 0) return okOutput(`${file} is empty.`);
  let start = 1;
  let end = lines.length;
  let note = '';
  if (range !== undefined) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => typeof n === 'number' && Number.isInteger(n))) {
      return errorOutput('view_range must be two whole numbers [start, end], e.g. [10, 40] or [10, -1].');
    }
    const [from, to] = range as [number, number];
    if (from < 1 || from > lines.length) {
      return errorOutput(`view_range start ${from} is out of range: ${file} has ${lines.length} lines (1 to ${lines.length}).`);
    }
    if (to !== -1 && to < from) {
      return errorOutput(`view_range end ${to} is before its start ${from}; use an end >= start, or -1 for the end of the file.`);
    }
    start = from;
    end = to === -1 ? lines.length : Math.min(to, lines.length);
    if (to > lines.length) note = `\n(${file} has only ${lines.length} lines.)`;
  }
  let body = numbered(lines, start, end);
  if (body.length > OBSERVATION_MAX_CHARS) {
    note += `\n(${file} has ${lines.length} lines and only part is shown: use view_range, or grep -n, to see the rest.)`;
    body = cutMiddle(body, OBSERVATION_MAX_CHARS - note.length);
  }
  return okOutput(`${body}${note}`);
}

async function listDirectory(target: ToolTarget, dir: string): Promise<ToolOutput> {
  const result = await target.exec(
    `find ${shellQuote(dir)} -mindepth 1 -maxdepth 2 \\( -name '.*' -o -name node_modules \\) -prune -o -printf '%y %p\\n' | LC_ALL=C sort -k2`,
    { timeoutMs: 60_000 },
  );
  if (result.exitCode !== 0 && result.stdout.trim() === '') {
    return errorOutput(`Cannot list ${dir}: ${result.stderr.trim()}`);
  }
  const entries = result.stdout
    .split('\n')
    .filter((line) => line.length > 2)
    .map((line) => (line.startsWith('d ') ? `${line.slice(2)}/` : line.slice(2)));
  const header = `Files and folders in ${dir}, two levels deep (hidden entries and node_modules left out):`;
  return okOutput(entries.length === 0 ? `${header}\n(empty)` : `${header}\n${entries.join('\n')}`);
}

async function statPath(target: ToolTarget, file: string): Promise<PathKind> {
  const result = await target.exec(`stat -L -c '%F|%a' -- ${shellQuote(file)}`, { timeoutMs: 30_000 });
  if (result.exitCode !== 0) {
    if (/No such file|Not a directory/.test(result.stderr + result.stdout)) return { kind: 'missing' };
    throw new EditFailure(`Cannot access ${file}: ${(result.stderr || result.stdout).trim()}`);
  }
  const [type = '', mode = ''] = result.stdout.trim().split('|');
  if (type === 'directory') return { kind: 'directory' };
  if (type.startsWith('regular')) return { kind: 'file', mode: Number.parseInt(mode, 8) };
  return { kind: 'other', type };
}

async function readText(target: ToolTarget, file: string): Promise<{ bytes: Buffer; text: string; mode: number }> {
  const kind = await statPath(target, file);
  if (kind.kind === 'missing') throw new EditFailure(`${file} does not exist. (Use create to make a new file.)`);
  if (kind.kind === 'directory') throw new EditFailure(`${file} is a directory, not a file.`);
  if (kind.kind === 'other') throw new EditFailure(`${file} is not a regular file (${kind.type}).`);
  const bytes = await target.readFile(file);
  const text = decodeUtf8(bytes);
  if (text === undefined) {
    throw new EditFailure(
      `${file} is not UTF-8 text (a binary file?), so this tool cannot show or edit it. Inspect it with execute_bash (e.g. \`file\`, \`xxd FILE | head\`).`,
    );
  }
  return { bytes, text, mode: kind.mode };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of UTF-8 bytes without NUL characters, else undefined. */
export function decodeUtf8(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A text's lines, without the empty string after a final newline. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

/** Lines `start`..`end` (1-based, inclusive) as `cat -n` prints them. */
export function numbered(lines: readonly string[], start: number, end: number): string {
  const out: string[] = [];
  for (let n = start; n <= end && n <= lines.length; n += 1) out.push(`${String(n).padStart(6)}\t${lines[n - 1] ?? ''}`);
  return out.join('\n');
}

/** Where each match of `needle` starts, overlapping ones included. */
export function occurrences(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) out.push(at);
  return out;
}

/** The 1-based line holding character `index`. */
function lineOf(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line += 1;
  return line;
}

function snippet(text: string, firstLine: number, lastLine: number): string {
  const lines = splitLines(text);
  const from = Math.max(1, firstLine - SNIPPET_CONTEXT_LINES);
  const to = Math.min(lines.length, Math.max(firstLine, lastLine) + SNIPPET_CONTEXT_LINES);
  if (lines.length === 0) return 'The file is now empty.';
  const body = cutMiddle(numbered(lines, from, to), OBSERVATION_MAX_CHARS / 2);
  return `Lines ${from}-${to} now read:\n${body}\nCheck that this is what you intended; undo_edit reverts the change.`;
}

function quoteBlock(text: string): string {
  return cutMiddle(text, 2_000)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
