/**
 * Fetching a repository's source onto the host (design.md §1, §5): git over
 * HTTPS from the `clone_url` of the webhook payload (so GitHub Enterprise
 * Server works), authenticated with an installation token restricted to that
 * one repository and to reading contents.
 *
 * The token travels only as an HTTP header, given to git through the
 * environment (`GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_0` / `GIT_CONFIG_VALUE_0`,
 * https://git-scm.com/docs/git-config#Documentation/git-config.txt-GITCONFIGCOUNT):
 * never in argv (visible in `ps`), in a URL, in `.git/config`, in a container
 * or in a log. The header is scoped to the clone URL's origin
 * (`http.<url>.extraHeader`, https://git-scm.com/docs/git-config#Documentation/git-config.txt-httplturlgt),
 * so a redirect elsewhere does not carry it. GitHub takes an installation
 * token as the password of user `x-access-token`:
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation#about-authentication-as-a-github-app-installation
 *
 * Only the wanted commits are fetched, shallowly, by id: GitHub serves any
 * reachable commit (`uploadpack.allowReachableSHA1InWant`, and protocol v2).
 * A server that refuses gets a full fetch of its branches (or the refspecs
 * the caller names, such as `refs/pull/12/head`) instead.
 *
 * Nothing from outside can be read by git as an option: the URL must be
 * http(s) (git's `file://`, `ssh://` and `ext::` transports run things
 * locally: https://git-scm.com/docs/git-clone#_git_urls), commits must be
 * full ids, and every remote, URL and refspec follows `--`, after which git
 * takes no options (https://git-scm.com/docs/gitcli). The App checks the
 * payload's clone URL and default branch before they reach job data
 * (src/app/payload-check.ts); this is the second line.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.ts';
import { SweBotError } from '../errors.ts';
import { git, GitError, GIT_TIMEOUT_MS } from '../util/git.ts';
import type { GitHubClient } from './client.ts';

/** Where fetched commits are kept as refs, so that `git gc` never prunes them. */
export const COMMIT_REF_PREFIX = 'refs/swe-bot/commits/';
/** Default fetch depth per wanted commit: the commit alone. */
export const DEFAULT_CLONE_DEPTH = 1;
/** Fetched when the server refuses commits by id: every branch. */
export const DEFAULT_FALLBACK_REFSPECS = ['+refs/heads/*:refs/remotes/origin/*'];

export interface CloneOptions {
  /** The repository's `clone_url` from the webhook payload; credentials in it are dropped. */
  cloneUrl: string;
  /** An installation token (see `restrictedInstallationToken`). */
  token: string;
  /** The folder to clone into; created when missing, reused (only missing commits fetched) when it holds a clone of the same URL. */
  dir: string;
  /** Full commit ids that must be present afterwards. */
  commits: string[];
  /** History fetched with each commit; 0 for all of it. Default 1. */
  depth?: number;
  /** Fetched when the server refuses commits by id. Default: all branches. */
  fallbackRefspecs?: string[];
  logger: Logger;
  /** Limit of each git command. Default 5 minutes. */
  timeoutMs?: number;
}

export interface ClonedRepository {
  dir: string;
  /** The commits asked for, all present. */
  commits: string[];
  /** True when the server refused commits by id and branches were fetched instead. */
  usedFallback: boolean;
}

export async function cloneRepository(options: CloneOptions): Promise<ClonedRepository> {
  const url = checkedUrl(options.cloneUrl);
  const timeoutMs = options.timeoutMs ?? GIT_TIMEOUT_MS;
  const env = gitAuthEnv(url, options.token);
  const scrub = (text: string): string => scrubSecret(text, options.token);
  const run = async (args: string[], withAuth = false): Promise<string> => {
    try {
      return await git(args, { cwd: options.dir, timeoutMs, ...(withAuth ? { env } : {}) });
    } catch (error) {
      throw cloneError(error, scrub);
    }
  };
  for (const commit of options.commits) {
    if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) throw new SweBotError(`Not a full commit id: ${JSON.stringify(commit)}`, { kind: 'permanent', code: 'clone_bad_commit' });
  }

  await fs.mkdir(options.dir, { recursive: true });
  if (await exists(path.join(options.dir, '.git'))) {
    const origin = (await run(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
    if (origin !== url) {
      throw new SweBotError(`${options.dir} holds a clone of ${origin || 'something else'}, not of ${url}`, { kind: 'permanent', code: 'clone_dir_mismatch' });
    }
  } else {
    await run(['init', '-q']);
    await run(['remote', 'add', '--', 'origin', url]);
  }

  let missing = await missingCommits(options.dir, options.commits, timeoutMs);
  let usedFallback = false;
  if (missing.length > 0) {
    try {
      await run(fetchCommitsArgs(missing, options.depth ?? DEFAULT_CLONE_DEPTH), true);
    } catch (error) {
      if (error instanceof SweBotError && error.code === 'clone_auth_failed') throw error;
      options.logger.info({ url, err: error }, 'fetching commits by id failed; fetching branches instead');
      const shallow = (await run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
      await run(['fetch', '--quiet', '--no-tags', ...(shallow ? ['--unshallow'] : []), '--', 'origin', ...(options.fallbackRefspecs ?? DEFAULT_FALLBACK_REFSPECS)], true);
      usedFallback = true;
      for (const commit of options.commits) {
        await run(['update-ref', `${COMMIT_REF_PREFIX}${commit}`, commit]).catch(() => undefined);
      }
    }
    missing = await missingCommits(options.dir, options.commits, timeoutMs);
    if (missing.length > 0) {
      throw new SweBotError(`${url} has no commit ${missing.join(', ')} (or it is not reachable from what the server lets us fetch)`, {
        kind: 'permanent',
        code: 'commit_missing',
      });
    }
  }
  options.logger.debug({ url, dir: options.dir, commits: options.commits, usedFallback }, 'source fetched');
  return { dir: options.dir, commits: options.commits, usedFallback };
}

/**
 * The environment that gives git the token as an `Authorization` header for
 * `cloneUrl`'s origin only. Nothing of it lands in argv or on disk.
 */
export function gitAuthEnv(cloneUrl: string, token: string): Record<string, string> {
  const origin = new URL(cloneUrl).origin;
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${origin}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basicCredentials(token)}`,
  };
}

/** `git fetch` of commits by id, each into its own ref. */
export function fetchCommitsArgs(commits: string[], depth: number): string[] {
  return [
    'fetch',
    '--quiet',
    '--no-tags',
    ...(depth > 0 ? [`--depth=${depth}`] : []),
    '--',
    'origin',
    ...commits.map((commit) => `${commit}:${COMMIT_REF_PREFIX}${commit}`),
  ];
}

/** The http(s) URL without user or password; anything else (another transport, no URL at all) is a permanent error. */
export function checkedUrl(cloneUrl: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(cloneUrl).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'https:' && protocol !== 'http:') {
    throw new SweBotError(`Not an http(s) clone URL: ${JSON.stringify(cloneUrl.slice(0, 200))}`, { kind: 'permanent', code: 'clone_bad_url' });
  }
  return plainUrl(cloneUrl);
}

/** The URL without user or password. */
export function plainUrl(cloneUrl: string): string {
  const url = new URL(cloneUrl);
  url.username = '';
  url.password = '';
  return url.toString();
}

/** `text` with the token, and the header value made from it, replaced by `***`. */
export function scrubSecret(text: string, token: string): string {
  if (token === '') return text;
  return text.split(token).join('***').split(basicCredentials(token)).join('***');
}

export interface RestrictedToken {
  token: string;
  expiresAt: string;
}

/**
 * An installation token that can only read the contents of one repository:
 * https://docs.github.com/en/rest/apps/apps#create-an-installation-access-token-for-an-app
 * `appOctokit` must authenticate as the app (a JWT): Probot's `await app.auth()`.
 */
export async function restrictedInstallationToken(
  appOctokit: GitHubClient,
  where: { installationId: number; repositoryId: number },
): Promise<RestrictedToken> {
  const { data } = await appOctokit.rest.apps.createInstallationAccessToken({
    installation_id: where.installationId,
    repository_ids: [where.repositoryId],
    permissions: { contents: 'read' },
  });
  return { token: data.token, expiresAt: data.expires_at };
}

function basicCredentials(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString('base64');
}

async function missingCommits(dir: string, commits: string[], timeoutMs: number): Promise<string[]> {
  const missing: string[] = [];
  for (const commit of commits) {
    try {
      await git(['cat-file', '-e', `${commit}^{commit}`], { cwd: dir, timeoutMs });
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      missing.push(commit);
    }
  }
  return missing;
}

/** A git failure as a SweBotError with the token scrubbed and a kind: auth refused is permanent, the rest transient. */
function cloneError(error: unknown, scrub: (text: string) => string): SweBotError {
  if (!(error instanceof GitError)) return new SweBotError(scrub(error instanceof Error ? error.message : String(error)), { kind: 'transient', code: 'clone_failed' });
  const message = scrub(error.message);
  if (/Authentication failed|could not read Username|returned error: (401|403)/i.test(error.stderr)) {
    return new SweBotError(`git could not authenticate: ${message}`, {
      kind: 'permanent',
      code: 'clone_auth_failed',
      hint: 'The installation token was refused; check that the app is installed on the repository with "Contents: read".',
    });
  }
  return new SweBotError(message, { kind: 'transient', code: 'clone_failed' });
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}
