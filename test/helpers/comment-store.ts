/**
 * Issue comments kept in memory behind the GitHub mock: list, create, update
 * and delete act on them as GitHub does, so code that finds its own comment
 * again can be run twice against the same state.
 */
import { issueComment, type MockGitHub } from './github-api.ts';

export type Comment = ReturnType<typeof issueComment>;

export function commentStore(gh: MockGitHub, options: { initial?: Comment[]; author?: string } = {}): Comment[] {
  const comments = [...(options.initial ?? [])];
  const author = options.author ?? 'swe-bot[bot]';
  let nextId = 1000;
  gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', () => ({ body: comments }), { optional: true });
  gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => {
    const comment = issueComment({ id: nextId++, body: (req.body as { body: string }).body, user: { login: author, type: 'Bot' } });
    comment.html_url = `https://github.com/${String(req.params.owner)}/${String(req.params.repo)}/issues/${String(req.params.issue_number)}#issuecomment-${comment.id}`;
    comments.push(comment);
    return { status: 201, body: comment };
  }, { optional: true });
  gh.on('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', (req) => {
    const comment = comments.find((c) => c.id === req.params.comment_id);
    if (!comment) return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } };
    comment.body = (req.body as { body: string }).body;
    return { body: comment };
  }, { optional: true });
  return comments;
}
