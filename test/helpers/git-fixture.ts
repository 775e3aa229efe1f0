/**
 * Fixture repositories for tests: a copy of test/fixtures/<name> made into a
 * real git repository with one commit, in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SourceRef } from '../../src/sandbox/source.ts';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.invalid',
  GIT_COMMITTER_NAME: 'fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    env: GIT_ENV,
    encoding: 'utf8',
  }).trim();
}

export interface FixtureRepo {
  dir: string;
  /** The source at the current HEAD. */
  source(): SourceRef;
  /** Writes files and commits them; returns the new commit id. */
  commit(files: Record<string, string>, message?: string): string;
  remove(): void;
}

/** `name` is a folder of test/fixtures, e.g. `node-repo` or `python-repo`, or an absolute path (a git history it holds is kept). */
export function fixtureRepo(name: string): FixtureRepo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `swe-bot-${path.basename(name).replace(/[^A-Za-z0-9._-]/g, '-')}-`));
  fs.cpSync(path.isAbsolute(name) ? name : path.join(FIXTURES, name), dir, { recursive: true });
  gitIn(dir, 'init', '-q');
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '--allow-empty', '-m', `fixture ${name}`);
  const repo: FixtureRepo = {
    dir,
    source: () => ({ repoDir: dir, commit: gitIn(dir, 'rev-parse', 'HEAD'), name: `fixtures/${name}` }),
    commit(files, message = 'change') {
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
      }
      gitIn(dir, 'add', '-A');
      gitIn(dir, 'commit', '-q', '-m', message);
      return gitIn(dir, 'rev-parse', 'HEAD');
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
  return repo;
}

/**
 * The lines each hunk of `git diff from to` spans in `dir`, per file, as
 * `LEFT:n` / `RIGHT:n`, read from git's own hunk headers: what a review
 * comment may be anchored on, independent of src/review's diff parser.
 */
export function hunkLines(dir: string, from: string, to: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let file = '';
  for (const line of gitIn(dir, 'diff', '--no-color', from, to).split('\n')) {
    if (line.startsWith('+++ b/')) file = line.slice(6);
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header === null) continue;
    const set = out.get(file) ?? new Set<string>();
    const [oldStart, oldCount, newStart, newCount] = [Number(header[1]), Number(header[2] ?? 1), Number(header[3]), Number(header[4] ?? 1)];
    for (let n = oldStart; n < oldStart + oldCount; n += 1) set.add(`LEFT:${n}`);
    for (let n = newStart; n < newStart + newCount; n += 1) set.add(`RIGHT:${n}`);
    out.set(file, set);
  }
  return out;
}
