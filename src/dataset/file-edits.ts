/**
 * Text edits of one file, done with git on the host (`swe-bot smith`):
 * two edits merged into one text, and the unified diff between two texts.
 * Both run on temporary files, outside any repository, so nothing the
 * repository's tests write in a container can end up in a bug's patch.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { git } from '../util/git.ts';

/** Both edits of `original` in one text, or undefined when they touch the same lines. */
export async function mergeEdits(original: string, a: string, b: string): Promise<string | undefined> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-smith-merge-'));
  try {
    const [ours, base, theirs] = ['a', 'base', 'b'].map((name) => path.join(dir, name)) as [string, string, string];
    await Promise.all([fs.writeFile(ours, a), fs.writeFile(base, original), fs.writeFile(theirs, b)]);
    // Exit status = the number of conflicts; git() throws on any but 0.
    return await git(['merge-file', '-p', '--', ours, base, theirs], { cwd: dir });
  } catch {
    return undefined;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The unified diff that turns `before` into `after` for `file`, as `git diff`
 * in the repository would print it (`a/` and `b/` paths, the blobs' index
 * line), so `git apply` takes it; '' when the texts are equal.
 */
export async function fileDiff(file: string, before: string, after: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-smith-diff-'));
  try {
    // The paths given are a/<file> and b/<file>, with no prefix added: the headers name the file as the repository does.
    const [a, b] = [path.join('a', file), path.join('b', file)];
    await Promise.all([a, b].map((side) => fs.mkdir(path.join(dir, path.dirname(side)), { recursive: true })));
    await Promise.all([fs.writeFile(path.join(dir, a), before), fs.writeFile(path.join(dir, b), after)]);
    // `--no-index` exits 1 when the files differ: that is the answer, not a failure.
    return await git(['diff', '--no-index', '--no-color', '--no-ext-diff', '--src-prefix=', '--dst-prefix=', '--', a, b], { cwd: dir, okExitCodes: [1] });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
