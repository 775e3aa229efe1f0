/**
 * Publishes a pull-request review, one per head commit (design.md §5): the
 * review body carries a hidden marker with the commit (`head=<sha>`), so a
 * retried job finds the review it already posted instead of posting another,
 * and the next review of the pull request knows where the last one stopped.
 * https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request
 */
import type { Logger } from '../logger.ts';
import { describeError } from '../errors.ts';
import type { GitHubClient } from './client.ts';
import { hasMarker, marker, markerField } from './markers.ts';
import { asRequestError } from './transient-error.ts';
import { truncateText } from './truncate-text.ts';

/** A review body's limit on GitHub. */
export const REVIEW_BODY_MAX_CHARS = 65_536;

/** An inline comment: `line`/`side` address a line of the diff, `start_line`/`start_side` the first line of a range. */
export interface ReviewComment {
  path: string;
  line: number;
  side: 'LEFT' | 'RIGHT';
  start_line?: number;
  start_side?: 'LEFT' | 'RIGHT';
  /** Markdown, possibly with a ```suggestion block. */
  body: string;
}

export interface PublishReviewInput {
  owner: string;
  repo: string;
  pullNumber: number;
  /** The commit reviewed; the review is attached to it (`commit_id`). */
  headSha: string;
  /** Markdown. */
  body: string;
  comments: ReviewComment[];
  /** The app's slug: only reviews by `<slug>[bot]` count as its own. */
  appSlug: string;
  logger?: Logger;
}

export interface PublishedReview {
  id: number;
  url: string;
  /** False when the app's review of this head already existed. */
  created: boolean;
  /** True when GitHub refused the inline comments and they went into the body instead. */
  folded: boolean;
}

export async function publishReview(octokit: GitHubClient, input: PublishReviewInput): Promise<PublishedReview> {
  const { owner, repo, pullNumber, headSha } = input;
  const existing = (await listAppReviews(octokit, input)).find((review) => hasMarker(review.body, 'review', { head: headSha }));
  if (existing !== undefined) return { id: existing.id, url: existing.html_url, created: false, folded: false };

  const head = marker('review', { head: headSha });
  const post = (body: string, comments: ReviewComment[]) =>
    octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: pullNumber,
      commit_id: headSha,
      event: 'COMMENT',
      body: `${head}\n${truncateText(body, REVIEW_BODY_MAX_CHARS - head.length - 1)}`,
      ...(comments.length > 0 ? { comments: comments.map(toApiComment) } : {}),
    });

  try {
    const { data } = await post(input.body, input.comments);
    return { id: data.id, url: data.html_url, created: true, folded: false };
  } catch (error) {
    // 422 when a comment's line is not in the diff GitHub has for the pull
    // request ("Pull request review thread line must be part of the diff",
    // "Line could not be resolved"): the pull request moved on, or the
    // anchors were wrong. The findings are still worth having, in the body.
    if (asRequestError(error)?.status !== 422 || input.comments.length === 0) throw error;
    input.logger?.warn({ owner, repo, pullNumber, err: error }, `inline review comments refused (${describeError(error)}); posting them in the review body`);
    const { data } = await post(foldComments(input.body, input.comments), []);
    return { id: data.id, url: data.html_url, created: true, folded: true };
  }
}

/** The head commit of the app's most recent review of the pull request, from its marker. */
export async function lastReviewedHead(
  octokit: GitHubClient,
  where: { owner: string; repo: string; pullNumber: number; appSlug: string },
): Promise<string | undefined> {
  const reviews = await listAppReviews(octokit, where);
  // Reviews are listed oldest first.
  for (const review of reviews.reverse()) {
    const head = markerField(review.body, 'review', 'head');
    if (head !== undefined) return head;
  }
  return undefined;
}

/** The body with the inline comments appended as a list, each naming its file and lines. */
export function foldComments(body: string, comments: ReviewComment[]): string {
  const sections = comments.map((comment) => {
    const lines = comment.start_line !== undefined && comment.start_line !== comment.line ? `lines ${comment.start_line}–${comment.line}` : `line ${comment.line}`;
    const side = comment.side === 'LEFT' ? ' (old version)' : '';
    return `**\`${comment.path}\`, ${lines}${side}**\n\n${comment.body}`;
  });
  return [body, '---', '**Comments on specific lines** (they could not be placed on the diff):', ...sections].join('\n\n');
}

async function listAppReviews(octokit: GitHubClient, where: { owner: string; repo: string; pullNumber: number; appSlug: string }) {
  // https://docs.github.com/en/rest/pulls/reviews#list-reviews-for-a-pull-request
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, {
    owner: where.owner,
    repo: where.repo,
    pull_number: where.pullNumber,
    per_page: 100,
  });
  return reviews.filter((review) => review.user?.login === `${where.appSlug}[bot]`);
}

function toApiComment(comment: ReviewComment) {
  const range = comment.start_line !== undefined && comment.start_line !== comment.line;
  return {
    path: comment.path,
    line: comment.line,
    side: comment.side,
    ...(range ? { start_line: comment.start_line, start_side: comment.start_side ?? comment.side } : {}),
    body: comment.body,
  };
}
