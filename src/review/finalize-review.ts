/**
 * Turns the model's submitted review into one that can be posted: every
 * comment's anchor is checked against the diff (those that miss are folded
 * into the summary rather than lost), duplicates are dropped, comments are
 * ranked by severity and capped, and suggestions become GitHub suggestion
 * blocks.
 * https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/reviewing-changes-in-pull-requests/commenting-on-a-pull-request#adding-line-comments-to-a-pull-request
 */
import { codeFence } from '../util/markdown.ts';
import { anchorProblem, diffPosition, lineAt, type DiffFile, type Side } from './diff-map.ts';
import { SEVERITIES, type Severity, type SubmittedComment, type SubmittedReview } from './review-schema.ts';

/** A comment ready for the pull-request review API (`line` + `side`, optionally `start_line` + `start_side`). */
export interface ReviewComment {
  path: string;
  line: number;
  side: Side;
  start_line?: number;
  start_side?: Side;
  severity: Severity;
  body: string;
}

export interface FileNotReviewed {
  path: string;
  reason: string;
}

export interface FinalReview {
  /** Markdown: the model's assessment plus whatever could not be posted inline. */
  summary: string;
  comments: ReviewComment[];
  filesNotReviewed: FileNotReviewed[];
  /** Comments whose anchors are not on the diff, with why. */
  folded: { comment: SubmittedComment; problem: string }[];
  /** Comments beyond the cap, least severe first to go. */
  overflow: SubmittedComment[];
}

export interface FinalizeOptions {
  files: readonly DiffFile[];
  /** Most inline comments to post. */
  maxComments: number;
  /** Files left out before the model saw the diff (lockfiles, binaries, size). */
  skipped: readonly FileNotReviewed[];
}

export function finalizeReview(submitted: SubmittedReview, options: FinalizeOptions): FinalReview {
  const folded: FinalReview['folded'] = [];
  const placed: { comment: SubmittedComment; posted: ReviewComment }[] = [];
  const seen = new Set<string>();
  for (const comment of submitted.comments) {
    const key = `${comment.path}\0${comment.side}\0${comment.start_line ?? ''}\0${comment.line}\0${comment.body}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const startLine = comment.start_line !== undefined && comment.start_line !== comment.line ? comment.start_line : undefined;
    const problem = anchorProblem(options.files, {
      path: comment.path,
      line: comment.line,
      side: comment.side,
      ...(startLine === undefined ? {} : { startLine }),
    });
    if (problem !== undefined) {
      folded.push({ comment, problem });
      continue;
    }
    placed.push({
      comment,
      posted: {
        path: comment.path,
        line: comment.line,
        side: comment.side,
        ...(startLine === undefined ? {} : { start_line: startLine, start_side: comment.side }),
        severity: comment.severity,
        body: commentBody(comment, options.files),
      },
    });
  }
  // Stable sort: within a severity the model's order (usually file order) stays.
  const ranked = placed
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => SEVERITIES.indexOf(a.comment.severity) - SEVERITIES.indexOf(b.comment.severity) || a.index - b.index);
  const kept = ranked.slice(0, Math.max(0, options.maxComments));
  const overflow = ranked.slice(kept.length).map((entry) => entry.comment);
  const changed = new Set(options.files.map((file) => file.path));
  const position = (comment: ReviewComment): number => {
    const index = options.files.findIndex((entry) => entry.path === comment.path);
    const file = options.files[index];
    return file === undefined ? Number.MAX_SAFE_INTEGER : index * 1e6 + diffPosition(file, comment.line, comment.side);
  };
  const filesNotReviewed = dedupeFiles([
    ...options.skipped,
    ...submitted.files_not_reviewed.filter((file) => changed.has(file.path)),
  ]);
  return {
    summary: composeSummary(submitted.summary, folded, overflow, filesNotReviewed),
    // Posted in diff order, as GitHub shows them.
    comments: kept.sort((a, b) => position(a.posted) - position(b.posted) || a.index - b.index).map((entry) => entry.posted),
    filesNotReviewed,
    folded,
    overflow,
  };
}

function commentBody(comment: SubmittedComment, files: readonly DiffFile[]): string {
  const label = comment.severity === 'nit' ? '**nit:** ' : comment.severity === 'critical' ? '**critical:** ' : '';
  let body = `${label}${comment.body}`;
  if (comment.suggestion === undefined) return body;
  const suggestion = comment.suggestion.replace(/\n$/, '');
  const current = lineAt(files, comment.path, comment.line, comment.side);
  // A suggestion replaces head lines, so it only makes sense on the RIGHT side, and only if it changes something.
  if (comment.side === 'RIGHT' && !(comment.start_line === undefined && current?.text === suggestion)) {
    body += `\n\n${codeFence(suggestion, 'suggestion')}`;
  } else if (comment.side === 'LEFT') {
    body += `\n\nProposed:\n${codeFence(suggestion)}`;
  }
  return body;
}

function composeSummary(
  text: string,
  folded: FinalReview['folded'],
  overflow: readonly SubmittedComment[],
  files: readonly FileNotReviewed[],
): string {
  const parts = [text.trim()];
  const item = (comment: SubmittedComment): string =>
    `- \`${comment.path}:${comment.start_line === undefined ? '' : `${comment.start_line}-`}${comment.line}\` (${comment.severity}): ${oneLine(comment.body)}`;
  if (folded.length > 0) {
    parts.push(`**Findings outside the diff** (they cannot be placed on a changed line):\n${folded.map(({ comment }) => item(comment)).join('\n')}`);
  }
  if (overflow.length > 0) {
    parts.push(`**More findings** (beyond the limit of inline comments):\n${overflow.map(item).join('\n')}`);
  }
  if (files.length > 0) {
    parts.push(`**Files not reviewed:**\n${files.map((file) => `- \`${file.path}\`: ${file.reason}`).join('\n')}`);
  }
  return parts.join('\n\n');
}

function oneLine(text: string): string {
  const first = text.trim().split('\n')[0] ?? '';
  return first.length > 200 ? `${first.slice(0, 197)}...` : first;
}

function dedupeFiles(files: readonly FileNotReviewed[]): FileNotReviewed[] {
  const byPath = new Map<string, FileNotReviewed>();
  for (const file of files) if (!byPath.has(file.path)) byPath.set(file.path, file);
  return [...byPath.values()];
}
