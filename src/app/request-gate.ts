/**
 * What every request goes through before it is queued: the repository's
 * configuration (an invalid file is reported where the request was made,
 * and nothing runs) and the sender's permission (a refused sender gets one
 * polite comment). Both are cached, so a burst of events costs GitHub a
 * request or two.
 */
import { ConfigError, describeError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import { loadRepoConfigFromGitHub, type LoadedRepoConfig } from '../github/load-repo-config.ts';
import type { MarkerKind } from '../github/markers.ts';
import { upsertComment } from '../github/status-comment.ts';
import type { Logger } from '../logger.ts';
import type { RepositoryRef } from '../queue/job-data.ts';
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { LazyClient } from './app-context.ts';
import { createPermissionChecker, type PermissionChecker, type PermissionLevel } from './authorize.ts';
import { TtlCache } from './ttl-cache.ts';

/** How long a repository's configuration is reused, ms; a changed file applies within this. */
export const CONFIG_CACHE_MS = 60_000;

export interface RequestGateDeps {
  /** The app's slug: its comments are by `<slug>[bot]`. */
  appSlug(): Promise<string>;
  /** Default: the collaborator-permission endpoint, cached (src/app/authorize.ts). */
  permissions?: PermissionChecker;
  /** Default: `.github/swe-bot.yml` through the contents API, cached {@link CONFIG_CACHE_MS}. */
  loadConfig?: (octokit: GitHubClient, where: { owner: string; repo: string }) => Promise<LoadedRepoConfig>;
  /**
   * Held while a refusal or a configuration error is looked for and posted, so
   * concurrent deliveries (in this process or another) post one comment, not
   * one each: the service's lock in Redis. Default: none.
   */
  commentLock?: KeyedLock;
}

/** Where a request was made. */
export interface RequestPlace {
  github: LazyClient;
  repository: RepositoryRef;
  /** The issue or pull request: refusals and configuration errors are posted there. */
  number: number;
  log: Logger;
}

/** The gate of one request. */
export interface GatedRequest {
  /** The configuration, or undefined after an invalid one was reported. */
  config(): Promise<LoadedRepoConfig | undefined>;
  /** True when `login` has at least `minimum`; nothing posted either way (automatic requests are skipped quietly). */
  allows(login: string, minimum: PermissionLevel): Promise<boolean>;
  /** True when `login` may ask; otherwise one polite comment saying the app `what` (e.g. "drafts fixes") only for `minimum`, and false. */
  authorize(login: string, minimum: PermissionLevel, what: string): Promise<boolean>;
}

export interface RequestGate {
  at(place: RequestPlace): GatedRequest;
}

export function createRequestGate(deps: RequestGateDeps): RequestGate {
  const permissions = deps.permissions ?? createPermissionChecker();
  const configs = new TtlCache<LoadedRepoConfig>(CONFIG_CACHE_MS);
  const load = deps.loadConfig ?? loadRepoConfigFromGitHub;
  return {
    at({ github, repository, number, log }) {
      const where = { owner: repository.owner, repo: repository.name };
      const comment = async (kind: MarkerKind, fields: Record<string, string | number>, text: string): Promise<void> => {
        await upsertComment(await github(), { ...where, number }, kind, fields, text, await deps.appSlug(), { ...(deps.commentLock ? { lock: deps.commentLock } : {}) });
      };
      const allows = (login: string, minimum: PermissionLevel): Promise<boolean> => permissions.allows(github, where.owner, where.repo, login, minimum);
      return {
        async config() {
          try {
            return await configs.get(`${where.owner}/${where.repo}`, async () => load(await github(), where));
          } catch (error) {
            if (!(error instanceof ConfigError)) throw error;
            log.info({ err: describeError(error) }, 'invalid configuration reported');
            const text =
              `swe-bot did not run: its configuration is invalid.\n\n\`\`\`\n${error.message}\n\`\`\`\n\n` +
              'Fix the file (see the [configuration reference](https://github.com/swe-bot/swe-bot#per-repository-configuration)) and ask again.';
            await comment('config-error', { n: number }, text);
            return undefined;
          }
        },
        allows,
        async authorize(login, minimum, what) {
          if (await allows(login, minimum)) return true;
          log.info({ login, minimum }, 'sender refused');
          const text =
            `@${login}, thanks for asking. swe-bot ${what} only for people with **${minimum}** permission or more on this repository, ` +
            'so nothing was started. A maintainer can ask instead.';
          await comment('refused', { user: login }, text);
          return false;
        },
      };
    },
  };
}
