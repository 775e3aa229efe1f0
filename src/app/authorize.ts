/**
 * Who may make the app work (design.md §5): never a bot (the app itself
 * above all, so its own comments cannot trigger it), and otherwise only a
 * sender whose permission on the repository reaches the configured level.
 * The level comes from the collaborator-permission endpoint:
 * https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
 * whose `role_name` also names the custom levels `triage` and `maintain`
 * that `permission` folds into read and write.
 */
import type { GitHubClient } from '../github/client.ts';
import { notFoundAs } from '../github/not-found.ts';
import { TtlCache } from './ttl-cache.ts';

export const PERMISSION_LEVELS = ['none', 'read', 'triage', 'write', 'maintain', 'admin'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** How long a looked-up permission is trusted, ms: a burst of events from one person costs one request. */
export const PERMISSION_CACHE_MS = 60_000;

export interface Sender {
  login: string;
  type?: string;
}

/** Bots never trigger work: GitHub marks app accounts `type: Bot` and names them `<slug>[bot]`. */
export function isBot(sender: Sender | null | undefined): boolean {
  if (!sender) return true;
  return sender.type === 'Bot' || sender.login.endsWith('[bot]');
}

export interface PermissionChecker {
  /** The sender's level on the repository (`none` for non-collaborators). */
  level(github: () => Promise<GitHubClient>, owner: string, repo: string, login: string): Promise<PermissionLevel>;
  /** True when `login` has at least `minimum`. */
  allows(github: () => Promise<GitHubClient>, owner: string, repo: string, login: string, minimum: PermissionLevel): Promise<boolean>;
}

export function createPermissionChecker(options: { cacheMs?: number; now?: () => number } = {}): PermissionChecker {
  const cache = new TtlCache<PermissionLevel>(options.cacheMs ?? PERMISSION_CACHE_MS, options.now);
  const checker: PermissionChecker = {
    level(github, owner, repo, login) {
      return cache.get(`${owner}/${repo}\0${login}`, async () => {
        const response = await (await github()).rest.repos
          .getCollaboratorPermissionLevel({ owner, repo, username: login })
          .catch(notFoundAs(undefined));
        if (response === undefined) return 'none';
        const role = response.data.role_name;
        return isLevel(role) ? role : isLevel(response.data.permission) ? response.data.permission : 'none';
      });
    },
    async allows(github, owner, repo, login, minimum) {
      const level = await checker.level(github, owner, repo, login);
      return PERMISSION_LEVELS.indexOf(level) >= PERMISSION_LEVELS.indexOf(minimum);
    },
  };
  return checker;
}

function isLevel(value: unknown): value is PermissionLevel {
  return typeof value === 'string' && (PERMISSION_LEVELS as readonly string[]).includes(value);
}
