/**
 * What every request goes through before it is queued: the repository's
 * configuration (an invalid file is reported where the request was made,
 * and nothing runs), the sender's permission (a refused sender gets one
 * polite comment), and the delivery check (a redelivered webhook does not
 * run twice). Shared by the fix and review handlers.
 */
import type { FixJobData, RepositoryRef, ReviewJobData } from '../queue/job-data.ts';
import { ConfigError, describeError } from '../errors.ts';
import type { GitHubClient } from '../github/client.ts';
import type { LazyClient } from './app-context.ts';
import { loadRepoConfigFromGitHub, type LoadedRepoConfig } from '../github/load-repo-config.ts';
import { upsertComment } from '../github/status-comment.ts';
import type { Logger } from '../logger.ts';
import { createPermissionChecker, type PermissionChecker, type PermissionLevel } from './authorize.ts';
import { TtlCache } from './ttl-cache.ts';

/** How long a repository's configuration is reused, ms; a changed file applies within this. */
export const CONFIG_CACHE_MS = 60_000;

export interface EnqueueResult {
  jobId: string;
  status: 'queued' | 'duplicate';
}

export interface DeliveryEnqueueResult {
  jobId: string;
  /** `redelivered`: the delivery had been handled before; nothing was added. */
  status: EnqueueResult['status'] | 'redelivered';
}

/** The queue operations the handlers use (src/queue implements them). */
export interface JobIntake {
  enqueueFix(data: FixJobData): Promise<EnqueueResult>;
  enqueueReview(data: ReviewJobData): Promise<EnqueueResult>;
  cancel(kind: 'fix' | 'review', jobId: string): Promise<unknown>;
  /** Records the delivery; true when it was seen before. */
  seenDelivery(deliveryId: string): Promise<boolean>;
  /**
   * Optional: {@link seenDelivery} of `data.deliveryId` and {@link enqueueFix}
   * as one atomic step (src/queue does it in one Redis round trip, which is
   * most of a webhook's cost). Without it, the handlers call both in turn.
   */
  enqueueFixForDelivery?(data: FixJobData): Promise<DeliveryEnqueueResult>;
}

export interface AppDeps {
  intake: JobIntake;
  logger: Logger;
  /** A client acting as the installation (the service's rate-limited one: src/server/github-auth.ts). */
  installation(installationId: number): Promise<GitHubClient>;
  /** The app's slug: its comments are by `<slug>[bot]`. */
  appSlug: () => Promise<string>;
  permissions?: PermissionChecker;
  /** Default: `.github/swe-bot.yml` through the contents API, cached {@link CONFIG_CACHE_MS}. */
  loadConfig?: (octokit: GitHubClient, where: { owner: string; repo: string }) => Promise<LoadedRepoConfig>;
}

/** The minimal payload fields the handlers read about a repository. */
export interface PayloadRepository {
  id: number;
  name: string;
  owner: { login: string };
  clone_url: string;
  default_branch: string;
}

export function repositoryRef(repository: PayloadRepository): RepositoryRef {
  return {
    id: repository.id,
    owner: repository.owner.login,
    name: repository.name,
    cloneUrl: repository.clone_url,
    defaultBranch: repository.default_branch,
  };
}

export interface Intake {
  deps: AppDeps;
  permissions: PermissionChecker;
  /** The configuration, or undefined after an invalid one was reported on `number`. */
  config(github: LazyClient, repository: RepositoryRef, number: number, log: Logger): Promise<LoadedRepoConfig | undefined>;
  /** True when `login` may ask; otherwise one polite comment on `number` and false. */
  authorize(github: LazyClient, repository: RepositoryRef, number: number, login: string, minimum: PermissionLevel, what: string, log: Logger): Promise<boolean>;
}

export function createIntake(deps: AppDeps): Intake {
  const permissions = deps.permissions ?? createPermissionChecker();
  const configs = new TtlCache<LoadedRepoConfig>(CONFIG_CACHE_MS);
  const load = deps.loadConfig ?? loadRepoConfigFromGitHub;
  return {
    deps,
    permissions,
    async config(github, repository, number, log) {
      const key = `${repository.owner}/${repository.name}`;
      try {
        return await configs.get(key, async () => load(await github(), { owner: repository.owner, repo: repository.name }));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        log.info({ err: describeError(error) }, 'invalid configuration reported');
        const text =
          `swe-bot did not run: its configuration is invalid.\n\n\`\`\`\n${error.message}\n\`\`\`\n\n` +
          'Fix the file (see the [configuration reference](https://github.com/swe-bot/swe-bot#per-repository-configuration)) and ask again.';
        await upsertComment(await github(), target(repository, number), 'config-error', { n: number }, text, await deps.appSlug());
        return undefined;
      }
    },
    async authorize(github, repository, number, login, minimum, what, log) {
      if (await permissions.allows(github, repository.owner, repository.name, login, minimum)) return true;
      log.info({ login, minimum }, 'sender refused');
      const text =
        `@${login}, thanks for asking. swe-bot ${what} only for people with **${minimum}** permission or more on this repository, ` +
        'so nothing was started. A maintainer can ask instead.';
      await upsertComment(await github(), target(repository, number), 'refused', { user: login }, text, await deps.appSlug());
      return false;
    },
  };
}

function target(repository: RepositoryRef, number: number): { owner: string; repo: string; number: number } {
  return { owner: repository.owner, repo: repository.name, number };
}
