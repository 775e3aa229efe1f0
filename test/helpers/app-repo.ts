/**
 * The repository the end-to-end tests of the App (`*.app.test.ts`) work on:
 * acme/widgets, test/fixtures/node-repo with a bug committed on top, served
 * over git smart-HTTP (./git-http-server.ts) from a bare copy, behind the
 * installation token the GitHub mock hands out; the webhook payloads'
 * `clone_url` points there. Also who is who: the App, its installation, the
 * maintainer who asks for the work.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixtureRepo, gitIn, type FixtureRepo } from './git-fixture.ts';
import { startGitHttpServer, type GitHttpServer } from './git-http-server.ts';

export const OWNER = 'acme';
export const NAME = 'widgets';
export const REPO_ID = 4242;
export const INSTALLATION_ID = 99;
/** The App's slug (`GET /app`): its comments and reviews are by `swe-bot[bot]`. */
export const SLUG = 'swe-bot';
export const BOT = `${SLUG}[bot]`;
/** A maintainer (write permission) who asks for the work. */
export const MAINTAINER = 'alice';

export interface ServedRepo {
  /** The working repository the commits are made in. */
  work: FixtureRepo;
  /** The tip of `main`. */
  base: string;
  /** `http://127.0.0.1:PORT/acme/widgets.git` */
  cloneUrl: string;
  git: GitHttpServer;
  /** Publishes `sha` under `refs/heads/<branch>` of the served repository (a push). */
  push(branch: string, sha: string): void;
  /** `git rev-parse <what>` in the working repository. */
  rev(what: string): string;
  close(): Promise<void>;
}

/**
 * test/fixtures/node-repo with `changes` committed on top (the bug, say), as
 * `main` of acme/widgets on a git smart-HTTP server that wants `token`.
 */
export async function serveRepo(token: string, changes?: (work: FixtureRepo) => void): Promise<ServedRepo> {
  const work = fixtureRepo('node-repo');
  changes?.(work);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-served-'));
  const bare = path.join(root, OWNER, `${NAME}.git`);
  fs.mkdirSync(bare, { recursive: true });
  gitIn(bare, 'init', '-q', '--bare');
  // What GitHub allows: any reachable commit fetched by id (also under protocol v0).
  gitIn(bare, 'config', 'uploadpack.allowReachableSHA1InWant', 'true');
  const push = (branch: string, sha: string): void => {
    gitIn(work.dir, 'push', '-q', '--force', bare, `${sha}:refs/heads/${branch}`);
  };
  const base = gitIn(work.dir, 'rev-parse', 'HEAD');
  push('main', base);
  const git = await startGitHttpServer({ projectRoot: root, token });
  return {
    work,
    base,
    cloneUrl: `${git.origin}/${OWNER}/${NAME}.git`,
    git,
    push,
    rev: (what) => gitIn(work.dir, 'rev-parse', what),
    async close() {
      await git.close();
      work.remove();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

// --------------------------------------------------------------- the bug

/** The bug committed on top of the fixture: numeric strings are concatenated. */
export const BUGGY_LINE = "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n";
export const ISSUE = { title: 'add() concatenates numeric strings', body: 'add("2", "3") returns "23" instead of 5.' };
export const REPRO_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;

/** Commits the bug (for {@link serveRepo}). */
export function commitBug(work: FixtureRepo): void {
  const index = fs.readFileSync(path.join(work.dir, 'index.js'), 'utf8');
  const guard = "if (!isNumber(a) || !isNumber(b)) throw new TypeError('add expects numbers');\n";
  work.commit({ 'index.js': index.replace(guard, `${guard}${BUGGY_LINE}`) }, 'accept numeric strings');
}
