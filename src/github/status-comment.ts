/**
 * One status comment per issue or pull request, found by its hidden marker
 * and edited in place at every stage, so a job (or a retried job) never
 * leaves a trail of comments. Only the app's own comments are considered:
 * anyone can paste a marker into a comment of theirs.
 * https://docs.github.com/en/rest/issues/comments
 */
import type { KeyedLock } from '../util/keyed-lock.ts';
import type { GitHubClient } from './client.ts';
import { hasMarker, marker, type MarkerKind } from './markers.ts';

export interface CommentTarget {
  owner: string;
  repo: string;
  /** Issue or pull-request number (pull requests are issues for comments). */
  number: number;
}

export interface UpsertedComment {
  id: number;
  url: string;
  created: boolean;
}

export interface UpsertOptions {
  /**
   * Held around the look-up and the creation, keyed by the issue and the
   * marker, so that concurrent callers (three deliveries at once, in one
   * process or several) find the first one's comment instead of each
   * creating one: the service's lock is in Redis (src/queue/redis-lock.ts).
   * Without it, concurrent callers may each create a comment.
   */
  lock?: KeyedLock;
}

/**
 * Creates the comment, or edits the app's earlier comment carrying the same
 * marker. `appSlug` identifies the app's bot account (`<slug>[bot]`).
 */
export async function upsertComment(
  octokit: GitHubClient,
  target: CommentTarget,
  kind: MarkerKind,
  fields: Record<string, string | number>,
  text: string,
  appSlug: string,
  options: UpsertOptions = {},
): Promise<UpsertedComment> {
  const upsert = (): Promise<UpsertedComment> => findOrCreate(octokit, target, kind, fields, text, appSlug);
  if (options.lock === undefined) return upsert();
  const named = Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`);
  return options.lock.withLock(`comment:${target.owner}/${target.repo}#${target.number}:${[kind, ...named].join(',')}`, upsert);
}

async function findOrCreate(
  octokit: GitHubClient,
  target: CommentTarget,
  kind: MarkerKind,
  fields: Record<string, string | number>,
  text: string,
  appSlug: string,
): Promise<UpsertedComment> {
  const body = `${marker(kind, fields)}\n${text}`;
  const comments = await octokit.paginate(octokit.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.number,
    per_page: 100,
  });
  const mine = comments.find((comment) => comment.user?.login === `${appSlug}[bot]` && hasMarker(comment.body, kind, fields));
  if (mine !== undefined) {
    if (mine.body !== body) await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body });
    return { id: mine.id, url: mine.html_url, created: false };
  }
  const created = await octokit.rest.issues.createComment({ owner: target.owner, repo: target.repo, issue_number: target.number, body });
  return { id: created.data.id, url: created.data.html_url, created: true };
}
