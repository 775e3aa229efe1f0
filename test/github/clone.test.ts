import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Probot } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SweBotError } from '../../src/errors.ts';
import { AppOctokit } from '../../src/github/app-octokit.ts';
import {
  cloneRepository, COMMIT_REF_PREFIX, fetchCommitsArgs, gitAuthEnv, plainUrl, restrictedInstallationToken, scrubSecret, type CloneOptions,
} from '../../src/github/clone.ts';
import { gitIn } from '../helpers/git-fixture.ts';
import { mockGitHub, type MockGitHub } from '../helpers/github-api.ts';
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server.ts';

const TOKEN = 'ghs_testTOKENabc123secret';
const silent = pino({ level: 'silent' });

interface Served {
  root: string;
  projectRoot: string;
  main: string[];
  feature: string;
  /** The first of the two commits under refs/pull/1/head: in no branch, and not advertised. */
  pullFirst: string;
  pull: string;
}

/** A repository served at /acme/widgets.git: three commits on main, one on a feature branch, two only under refs/pull/1/head. */
function serveRepository(): Served {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-clone-test-'));
  const work = path.join(root, 'work');
  fs.mkdirSync(work);
  gitIn(work, 'init', '-q');
  const commit = (file: string, content: string): string => {
    fs.writeFileSync(path.join(work, file), content);
    gitIn(work, 'add', '-A');
    gitIn(work, 'commit', '-q', '-m', `${file}: ${content}`);
    return gitIn(work, 'rev-parse', 'HEAD');
  };
  const main = [commit('a.txt', 'one'), commit('a.txt', 'two'), commit('a.txt', 'three')];
  gitIn(work, 'checkout', '-q', '-b', 'feature', main[1]!);
  const feature = commit('b.txt', 'feature');
  gitIn(work, 'checkout', '-q', '-b', 'contributor', main[2]!);
  const pullFirst = commit('c.txt', 'from a fork');
  const pull = commit('c.txt', 'from a fork, again');
  gitIn(work, 'update-ref', 'refs/pull/1/head', pull);
  gitIn(work, 'checkout', '-q', 'main');
  gitIn(work, 'branch', '-q', '-D', 'contributor');
  const projectRoot = path.join(root, 'served');
  const bare = path.join(projectRoot, 'acme', 'widgets.git');
  fs.mkdirSync(bare, { recursive: true });
  gitIn(bare, 'init', '-q', '--bare');
  gitIn(work, 'push', '-q', bare, 'refs/heads/*:refs/heads/*', 'refs/pull/*:refs/pull/*');
  return { root, projectRoot, main, feature, pullFirst, pull };
}

const has = (dir: string, sha: string): boolean => {
  try {
    execFileSync('git', ['cat-file', '-e', `${sha}^{commit}`], { cwd: dir, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('cloneRepository against a git smart-HTTP server', () => {
  let served: Served;
  let server: GitHttpServer | undefined;
  let dirs: string[] = [];
  beforeAll(() => { served = serveRepository(); });
  afterAll(() => fs.rmSync(served.root, { recursive: true, force: true }));
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  const start = async (protocolV2 = true): Promise<GitHttpServer> => {
    server = await startGitHttpServer({ projectRoot: served.projectRoot, token: TOKEN, protocolV2 });
    return server;
  };
  const target = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-clone-'));
    dirs.push(dir);
    return path.join(dir, 'repo');
  };
  const clone = (git: GitHttpServer, patch: Partial<CloneOptions>): Promise<Awaited<ReturnType<typeof cloneRepository>>> =>
    cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir: target(), commits: [], logger: silent, timeoutMs: 30_000, ...patch });

  it('fetches exactly the wanted commits, shallow, with the token only in an Authorization header', async () => {
    const git = await start();
    const dir = target();
    const result = await cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir, commits: [served.main[1]!, served.feature], logger: silent });

    expect(result).toEqual({ dir, commits: [served.main[1], served.feature], usedFallback: false });
    expect(has(dir, served.main[1]!)).toBe(true);
    expect(has(dir, served.feature)).toBe(true);
    expect(has(dir, served.main[0]!)).toBe(false); // depth 1: not the parent
    expect(has(dir, served.main[2]!)).toBe(false); // nor anything else
    expect(gitIn(dir, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(gitIn(dir, 'rev-parse', `${COMMIT_REF_PREFIX}${served.feature}`)).toBe(served.feature);

    // Every request that got an answer carried the header; the server saw no request without it.
    expect(git.requests.length).toBeGreaterThanOrEqual(2);
    expect(git.requests.every((r) => r.authorization === `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}` && r.status === 200)).toBe(true);
    expect(git.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /acme/widgets.git/info/refs?service=git-upload-pack', 'POST /acme/widgets.git/git-upload-pack']);

    // Nothing secret on disk: the remote is the plain URL, no extraHeader.
    const config = fs.readFileSync(path.join(dir, '.git', 'config'), 'utf8');
    expect(config).toContain(`url = ${git.origin}/acme/widgets.git`);
    expect(config).not.toContain(TOKEN);
    expect(config.toLowerCase()).not.toContain('extraheader');
    expect(config).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    expect(execFileSync('sh', ['-c', `grep -rlF -- '${TOKEN}' . || true`], { cwd: path.join(dir, '.git'), encoding: 'utf8' })).toBe('');
  });

  it('reuses a folder: commits already there cost no request, new ones are fetched alone', async () => {
    const git = await start();
    const dir = target();
    await cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir, commits: [served.main[2]!], logger: silent });
    const before = git.requests.length;
    await cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir, commits: [served.main[2]!], logger: silent });
    expect(git.requests.length).toBe(before);
    await cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir, commits: [served.main[2]!, served.pull], logger: silent });
    expect(git.requests.length).toBe(before + 2);
    expect(has(dir, served.pull)).toBe(true);
  });

  it('refuses a folder holding a clone of another repository', async () => {
    const git = await start();
    const dir = target();
    await cloneRepository({ cloneUrl: `${git.origin}/acme/widgets.git`, token: TOKEN, dir, commits: [served.main[2]!], logger: silent });
    await expect(cloneRepository({ cloneUrl: `${git.origin}/acme/other.git`, token: TOKEN, dir, commits: [served.main[2]!], logger: silent }))
      .rejects.toMatchObject({ code: 'clone_dir_mismatch', kind: 'permanent' });
  });

  it('a refused token is a permanent error that does not contain the token', async () => {
    server = await startGitHttpServer({ projectRoot: served.projectRoot, token: 'the-right-token', protocolV2: true });
    const error = await clone(server, { commits: [served.main[2]!] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SweBotError);
    expect(error).toMatchObject({ kind: 'permanent', code: 'clone_auth_failed' });
    const text = `${(error as Error).message} ${(error as SweBotError).hint ?? ''} ${String((error as Error).stack)}`;
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    expect(server.requests[0]?.status).toBe(401);
    // Only one fetch was tried (no fallback after an authentication failure).
    expect(new Set(server.requests.map((r) => r.url))).toEqual(new Set(['/acme/widgets.git/info/refs?service=git-upload-pack']));
  });

  it('falls back to fetching branches when the server refuses commits by id', async () => {
    const git = await start(false);
    const result = await clone(git, { commits: [served.main[1]!] });
    expect(result.usedFallback).toBe(true);
    expect(has(result.dir, served.main[1]!)).toBe(true);
    expect(gitIn(result.dir, 'rev-parse', `${COMMIT_REF_PREFIX}${served.main[1]!}`)).toBe(served.main[1]);
    expect(gitIn(result.dir, 'rev-parse', '--is-shallow-repository')).toBe('false');
  });

  it('in the fallback, fetches the refspecs asked for (a pull request head)', async () => {
    const git = await start(false);
    await expect(clone(git, { commits: [served.pullFirst] })).rejects.toMatchObject({ kind: 'permanent', code: 'commit_missing' });
    const result = await clone(git, { commits: [served.pullFirst, served.main[0]!], fallbackRefspecs: ['+refs/heads/main:refs/remotes/origin/main', '+refs/pull/1/head:refs/remotes/origin/pr/1'] });
    expect(result.usedFallback).toBe(true);
    expect(has(result.dir, served.pullFirst)).toBe(true);
    expect(has(result.dir, served.main[0]!)).toBe(true);
  });

  it.each(['file:///etc', '--upload-pack=touch /tmp/pwned', 'ext::sh -c touch% /tmp/pwned', 'ssh://git@github.com/acme/widgets.git', '/tmp/some/repo'])(
    'refuses the clone URL %s before git runs',
    async (cloneUrl) => {
      const dir = target();
      const error = await cloneRepository({ cloneUrl, token: TOKEN, dir, commits: [served.main[2]!], logger: silent }).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'permanent', code: 'clone_bad_url' });
      expect(fs.existsSync(dir)).toBe(false);
    },
  );

  it('a commit the server does not have is a permanent error', async () => {
    const git = await start();
    await expect(clone(git, { commits: ['0123456789abcdef0123456789abcdef01234567'] }))
      .rejects.toThrow(/has no commit 0123456789abcdef0123456789abcdef01234567/);
    await expect(clone(git, { commits: ['main'] })).rejects.toMatchObject({ code: 'clone_bad_commit' });
  });

  it('never puts the token in the argv of git (or of anything git runs)', async () => {
    const git = await start();
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-argv-'));
    dirs.push(bin);
    const log = path.join(bin, 'argv.log');
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    fs.writeFileSync(path.join(bin, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${realGit}' "$@"\n`, { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? ''}`;
    try {
      await clone(git, { commits: [served.main[2]!] });
    } finally {
      process.env.PATH = savedPath;
    }
    const argv = fs.readFileSync(log, 'utf8');
    expect(argv).toContain('fetch --quiet --no-tags --depth=1 -- origin');
    expect(argv).toContain(`remote add -- origin ${git.origin}/acme/widgets.git`);
    expect(argv).not.toContain(TOKEN);
    expect(argv).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    expect(argv.toLowerCase()).not.toContain('authorization');
  });
});

describe('clone building blocks', () => {
  it('gives git the header through the environment, scoped to the clone URL’s origin', () => {
    const env = gitAuthEnv('https://ghe.example.com/acme/widgets.git', TOKEN);
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://ghe.example.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
    });
  });

  it('builds fetch arguments without any secret', () => {
    const args = fetchCommitsArgs(['a'.repeat(40)], 1);
    // Remote and refspecs after `--`: never read as options.
    expect(args).toEqual(['fetch', '--quiet', '--no-tags', '--depth=1', '--', 'origin', `${'a'.repeat(40)}:${COMMIT_REF_PREFIX}${'a'.repeat(40)}`]);
    expect(fetchCommitsArgs(['a'.repeat(40)], 0)).not.toContain('--depth=0');
  });

  it('drops credentials from a clone URL and scrubs the token from text', () => {
    expect(plainUrl('https://x-access-token:secret@github.com/acme/widgets.git')).toBe('https://github.com/acme/widgets.git');
    const header = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    expect(scrubSecret(`token ${TOKEN} and ${header}`, TOKEN)).toBe('token *** and ***');
  });
});

describe('restrictedInstallationToken', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  let gh: MockGitHub;
  afterEach(() => gh.close());

  it('asks for a token limited to one repository and to reading contents, as the app (JWT)', async () => {
    gh = mockGitHub();
    const probot = new Probot({ appId: 1, privateKey, baseUrl: gh.baseUrl, log: pino({ level: 'silent' }), Octokit: AppOctokit });
    const token = await restrictedInstallationToken(await probot.auth(), { installationId: 42, repositoryId: 1296269 });
    expect(token).toEqual({ token: gh.token, expiresAt: expect.stringMatching(/Z$/) as unknown });
    expect(gh.operations()).toEqual(['apps/create-installation-access-token']);
    expect(gh.requests[0]).toMatchObject({ path: '/app/installations/42/access_tokens', body: { repository_ids: [1296269], permissions: { contents: 'read' } } });
    expect(gh.requests[0]?.headers.authorization).toMatch(/^bearer /i);
    gh.done();
  });
});
