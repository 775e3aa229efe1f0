/**
 * The repository a sandbox works on: a git repository on the host (a clone
 * made by the GitHub stage, a local checkout for the CLI, or an offline
 * mirror) and a commit in it. Files are read from git objects, never from a
 * working tree, so the caller's checkout is left untouched.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-fs';
import { SandboxError } from '../errors.ts';
import { git, GitError } from '../util/git.ts';

export interface SourceRef {
  /** A git repository on the host (bare or not). */
  repoDir: string;
  /** A full commit id. */
  commit: string;
  /** owner/name, for labels and logs. */
  name?: string;
}

/** The ref in /testbed/.git that marks the baseline commit diffs are taken against. */
export const BASELINE_REF = 'refs/swe-bot/baseline';

/** uid and gid of the unprivileged user `swe` in swe-bot's images. */
export const SANDBOX_UID = 1000;

/** Resolves a ref (branch, tag, HEAD, abbreviated id) to a full commit id. */
export async function resolveCommit(repoDir: string, ref: string): Promise<string> {
  try {
    return (await git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], { cwd: repoDir })).trim();
  } catch (error) {
    throw new SandboxError(`The repository ${repoDir} has no commit ${ref}`, { code: 'commit_missing', cause: error });
  }
}

/** Every file path in the commit. */
export async function listFiles(source: SourceRef): Promise<string[]> {
  const out = await git(['ls-tree', '-r', '-z', '--name-only', source.commit], { cwd: source.repoDir });
  return out.split('\0').filter(Boolean);
}

/** A file's content at the commit, or undefined when the commit has no such file. */
export async function readSourceFile(source: SourceRef, file: string): Promise<Buffer | undefined> {
  try {
    return await git(['cat-file', 'blob', `${source.commit}:${file}`], { cwd: source.repoDir, binary: true });
  } catch (error) {
    if (error instanceof GitError) return undefined;
    throw error;
  }
}

export interface Checkout {
  /** A folder with the working tree and a shallow .git at the commit. */
  dir: string;
  /** A tar stream of the folder, owned by the sandbox user. */
  tar(): Readable;
  remove(): Promise<void>;
}

/**
 * Makes a shallow clone of one commit in a temporary folder: working tree,
 * a `.git` holding just that commit on branch `main`, and the baseline ref.
 */
export async function checkoutCommit(source: SourceRef, branch = 'main'): Promise<Checkout> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-src-'));
  const remove = (): Promise<void> => fs.rm(dir, { recursive: true, force: true });
  try {
    await git(['init', '-q', '-b', branch, dir], { cwd: os.tmpdir() });
    // Fetching one commit by id needs the serving side to allow it; for a
    // local repository that side is our own upload-pack, so we configure it.
    await git(
      [
        '-c',
        'protocol.file.allow=always',
        'fetch',
        '-q',
        '--no-tags',
        '--depth=1',
        `--upload-pack=git -c uploadpack.allowAnySHA1InWant=true upload-pack`,
        `file://${path.resolve(source.repoDir)}`,
        source.commit,
      ],
      { cwd: dir },
    );
    await git(['checkout', '-q', '-B', branch, source.commit], { cwd: dir });
    await git(['update-ref', BASELINE_REF, source.commit], { cwd: dir });
  } catch (error) {
    await remove();
    throw new SandboxError(`Cannot check out ${source.commit} from ${source.repoDir}: ${String(error)}`, {
      code: 'checkout_failed',
      cause: error,
    });
  }
  return {
    dir,
    tar: () =>
      pack(dir, {
        map: (header) => ({ ...header, uid: SANDBOX_UID, gid: SANDBOX_UID, uname: 'swe', gname: 'swe' }),
      }) as unknown as Readable,
    remove,
  };
}
