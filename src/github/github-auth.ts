/**
 * What the service hands the app and the job runners to talk to GitHub as
 * the App: installation clients with swe-bot's per-installation rate limits
 * (src/github/rate-limit.ts), read-only clone tokens for one repository, and
 * the App's slug (its comments are by `<slug>[bot]`), looked up once.
 */
import type { Probot } from 'probot';
import type { GitHubClient } from './client.ts';
import { restrictedInstallationToken } from './clone.ts';
import { withRateLimits } from './rate-limit.ts';
import type { Logger } from '../logger.ts';

export interface GitHubAuth {
  /** A client acting as the installation, requests serialized and spaced per installation. */
  installation(installationId: number): Promise<GitHubClient>;
  /** A short-lived token that can only read the contents of one repository. */
  cloneToken(installationId: number, repositoryId: number): Promise<string>;
  /** The App's slug (`GET /app`), fetched once; a failure is retried on the next call. */
  appSlug(): Promise<string>;
}

/** `writeSpacingMs`: least time between two mutating requests of one installation (config `github.writeSpacingMs`). */
export function createGitHubAuth(probot: Probot, logger: Logger, options: { writeSpacingMs?: number } = {}): GitHubAuth {
  let slug: Promise<string> | undefined;
  const asApp = async (): Promise<GitHubClient> => probot.auth();
  return {
    async installation(installationId) {
      const octokit = await probot.auth(installationId);
      return withRateLimits(octokit, { key: installationId, logger, ...(options.writeSpacingMs === undefined ? {} : { writeSpacingMs: options.writeSpacingMs }) });
    },
    async cloneToken(installationId, repositoryId) {
      return (await restrictedInstallationToken(await asApp(), { installationId, repositoryId })).token;
    },
    appSlug() {
      slug ??= asApp()
        .then(async (octokit) => {
          // https://docs.github.com/en/rest/apps/apps#get-the-authenticated-app
          const { data } = await octokit.rest.apps.getAuthenticated();
          if (!data?.slug) throw new Error('GET /app returned no slug');
          return data.slug;
        })
        .catch((error: unknown) => {
          slug = undefined;
          throw error;
        });
      return slug;
    },
  };
}
