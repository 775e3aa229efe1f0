/**
 * The diff map read from real `git diff` output: numbering, renames, binary
 * files, quoted paths, deleted lines that look like headers; and anchors
 * checked against it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorProblem, changedLines, numberedDiff, parseDiff, unquote, type DiffFile } from '../../src/review/diff-map.ts';
import { gitIn } from '../helpers/git-fixture.ts';

let dir: string;
let files: DiffFile[];
const lines = (count: number, label: string): string => Array.from({ length: count }, (_, i) => `${label} ${i + 1}`).join('\n') + '\n';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-diff-'));
  gitIn(dir, 'init', '-q');
  const write = (file: string, content: string | Buffer): void => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  };
  write('src/long.js', lines(40, 'line'));
  write('src/dashes.txt', '-- a line starting with two dashes\n++ and one with pluses\nkeep\n');
  write('old-name.js', lines(20, 'stay'));
  write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 0]));
  write('gone.js', 'bye\n');
  write('héllo wörld.txt', 'a\n');
  write('no-eol.txt', 'last');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'base');
  const long = fs.readFileSync(path.join(dir, 'src/long.js'), 'utf8').split('\n');
  long[4] = 'line 5 changed';
  long.splice(30, 0, 'inserted after 30');
  write('src/long.js', long.join('\n'));
  write('src/dashes.txt', 'keep\n');
  fs.renameSync(path.join(dir, 'old-name.js'), path.join(dir, 'new-name.js'));
  write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9, 9, 9, 0, 0]));
  fs.rmSync(path.join(dir, 'gone.js'));
  write('src/added.js', 'one\ntwo\n');
  write('héllo wörld.txt', 'b\n');
  write('no-eol.txt', 'last changed');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'head');
  files = parseDiff(gitIn(dir, 'diff', '--no-color', '-M', 'HEAD~1', 'HEAD') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const file = (name: string): DiffFile => {
  const found = files.find((entry) => entry.path === name);
  if (found === undefined) throw new Error(`${name} not in ${files.map((entry) => entry.path).join(', ')}`);
  return found;
};

describe('parseDiff', () => {
  it('numbers lines on both sides, hunk by hunk', () => {
    const long = file('src/long.js');
    expect(long.status).toBe('modified');
    expect(long.hunks).toHaveLength(2);
    const first = long.hunks[0]!;
    expect(first.lines.find((line) => line.kind === 'delete')).toEqual({ kind: 'delete', oldLine: 5, text: 'line 5' });
    expect(first.lines.find((line) => line.kind === 'add')).toEqual({ kind: 'add', newLine: 5, text: 'line 5 changed' });
    const second = long.hunks[1]!;
    expect(second.lines.find((line) => line.kind === 'add')).toEqual({ kind: 'add', newLine: 31, text: 'inserted after 30' });
    // Context after the insertion is shifted by one on the head side.
    expect(second.lines.at(-1)).toMatchObject({ kind: 'context', oldLine: 33, newLine: 34, text: 'line 33' });
    expect(changedLines(long)).toBe(3);
  });

  it('reads deleted lines that look like file headers as lines', () => {
    const dashes = file('src/dashes.txt');
    expect(dashes.hunks[0]!.lines.filter((line) => line.kind === 'delete').map((line) => line.text)).toEqual([
      '-- a line starting with two dashes',
      '++ and one with pluses',
    ]);
    expect(dashes.hunks[0]!.lines.at(-1)).toMatchObject({ kind: 'context', oldLine: 3, newLine: 1 });
  });

  it('knows renames, binaries, added and deleted files and non-ASCII paths', () => {
    expect(file('new-name.js')).toMatchObject({ status: 'renamed', oldPath: 'old-name.js', hunks: [] });
    expect(file('logo.png')).toMatchObject({ binary: true, hunks: [] });
    expect(file('gone.js')).toMatchObject({ status: 'deleted' });
    expect(file('gone.js').hunks[0]!.lines).toEqual([{ kind: 'delete', oldLine: 1, text: 'bye' }]);
    expect(file('src/added.js')).toMatchObject({ status: 'added' });
    expect(file('héllo wörld.txt').hunks[0]!.lines.map((line) => line.kind)).toEqual(['delete', 'add']);
  });

  it('does not count "\\ No newline at end of file" as a line', () => {
    expect(file('no-eol.txt').hunks[0]!.lines).toEqual([
      { kind: 'delete', oldLine: 1, text: 'last' },
      { kind: 'add', newLine: 1, text: 'last changed' },
    ]);
  });

  it('undoes git quoting', () => {
    expect(unquote('"a/h\\303\\251llo \\"q\\".txt"')).toBe('a/héllo "q".txt');
    expect(unquote('a/plain.txt')).toBe('a/plain.txt');
  });
});

describe('anchorProblem', () => {
  it('accepts lines inside hunks on the right side', () => {
    expect(anchorProblem(files, { path: 'src/long.js', line: 5, side: 'RIGHT' })).toBeUndefined();
    expect(anchorProblem(files, { path: 'src/long.js', line: 5, side: 'LEFT' })).toBeUndefined();
    expect(anchorProblem(files, { path: 'src/long.js', line: 2, side: 'RIGHT' })).toBeUndefined(); // context
    expect(anchorProblem(files, { path: 'src/long.js', line: 31, side: 'RIGHT', startLine: 29 })).toBeUndefined();
  });

  it('names what is wrong with an anchor off the diff', () => {
    expect(anchorProblem(files, { path: 'src/long.js', line: 20, side: 'RIGHT' })).toMatch(/src\/long.js:20 \(RIGHT\) is outside the changed lines/);
    expect(anchorProblem(files, { path: 'README.md', line: 1, side: 'RIGHT' })).toMatch(/not changed by this pull request/);
    expect(anchorProblem(files, { path: 'logo.png', line: 1, side: 'RIGHT' })).toMatch(/no text changes/);
    expect(anchorProblem(files, { path: 'src/long.js', line: 31, side: 'RIGHT', startLine: 5 })).toMatch(/more than one hunk/);
    expect(anchorProblem(files, { path: 'src/long.js', line: 29, side: 'RIGHT', startLine: 31 })).toMatch(/starts after it ends/);
    // Line 34 exists on the head side of the second hunk but not the base side.
    expect(anchorProblem(files, { path: 'src/long.js', line: 34, side: 'LEFT' })).toMatch(/outside/);
    expect(anchorProblem(files, { path: 'gone.js', line: 1, side: 'RIGHT' })).toMatch(/outside/);
    expect(anchorProblem(files, { path: 'gone.js', line: 1, side: 'LEFT' })).toBeUndefined();
  });
});

describe('numberedDiff', () => {
  it('prints base and head numbers beside every line', () => {
    const text = numberedDiff(file('src/long.js'));
    expect(text).toContain('  5     | - line 5');
    expect(text).toContain('      5 | + line 5 changed');
    expect(text).toContain(' 33  34 |   line 33');
    expect(text.split('\n')[0]).toMatch(/^@@ -2,7 \+2,7 @@/);
  });
});
