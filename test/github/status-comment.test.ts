import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { marker } from '../../src/github/markers.ts';
import { upsertComment } from '../../src/github/status-comment.ts';
import { createLocalLock, type KeyedLock } from '../../src/util/keyed-lock.ts';
import { issueComment, mockGitHub, type MockGitHub } from '../helpers/github-api.ts';
import { commentStore } from '../helpers/comment-store.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const target = { owner: 'acme', repo: 'widgets', number: 12 };
const BOT = 'swe-bot[bot]';

describe('upsertComment', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it('creates the comment with its marker, then edits that same comment', async () => {
    gh = mockGitHub();
    const comments = commentStore(gh);

    const first = await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'Setting up the environment…', 'swe-bot');
    expect(first).toMatchObject({ id: 1000, created: true });
    expect(gh.operations()).toEqual(['issues/list-comments', 'issues/create-comment']);
    expect(gh.calls('issues/create-comment')[0]?.body).toEqual({ body: `${marker('status', { kind: 'fix', number: 12 })}\nSetting up the environment…` });
    expect(gh.calls('issues/list-comments')[0]?.query).toMatchObject({ per_page: '100' });

    const second = await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'Running the agent…', 'swe-bot');
    expect(second).toMatchObject({ id: 1000, created: false, url: first.url });
    expect(gh.operations().slice(2)).toEqual(['issues/list-comments', 'issues/update-comment']);
    expect(gh.calls('issues/update-comment')[0]).toMatchObject({ params: { comment_id: 1000 } });
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toBe(`${marker('status', { kind: 'fix', number: 12 })}\nRunning the agent…`);
    gh.done();
  });

  it('does not edit when the text is unchanged', async () => {
    gh = mockGitHub();
    commentStore(gh);
    await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'same', 'swe-bot');
    await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'same', 'swe-bot');
    expect(gh.operations()).toEqual(['issues/list-comments', 'issues/create-comment', 'issues/list-comments']);
    gh.done();
  });

  it('ignores a comment by someone else that carries the marker', async () => {
    gh = mockGitHub();
    const forged = issueComment({ id: 7, body: `${marker('status', { kind: 'fix', number: 12 })}\nI am the bot now`, user: { login: 'mallory', type: 'User' } });
    const comments = commentStore(gh, { initial: [forged] });
    const result = await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'Working…', 'swe-bot');
    expect(result).toMatchObject({ id: 1000, created: true });
    expect(gh.operations()).toEqual(['issues/list-comments', 'issues/create-comment']);
    expect(comments[0]?.body).toContain('I am the bot now');
    gh.done();
  });

  it('tells markers apart by their fields: a review status is not a fix status', async () => {
    gh = mockGitHub();
    commentStore(gh, { initial: [issueComment({ id: 8, body: `${marker('status', { kind: 'review', number: 12 })}\nreviewing`, user: { login: BOT } })] });
    const result = await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'fixing', 'swe-bot');
    expect(result.created).toBe(true);
    gh.done();
  });

  it('concurrent callers create one comment when they share a lock, and one each without', async () => {
    gh = mockGitHub();
    const comments = commentStore(gh);
    const fields = { user: 'alice' };
    const lock = createLocalLock();
    const upserts = (options: { lock?: KeyedLock }) =>
      Promise.all([1, 2, 3].map(() => upsertComment(octokit(), target, 'refused', fields, 'no', 'swe-bot', options)));
    const locked = await upserts({ lock });
    expect(comments).toHaveLength(1);
    expect(locked.map((comment) => comment.created)).toEqual([true, false, false]);
    // The race the lock closes: each looks, finds none, and creates one.
    const other = { user: 'bob' };
    await Promise.all([1, 2, 3].map(() => upsertComment(octokit(), target, 'refused', other, 'no', 'swe-bot')));
    expect(comments.filter((comment) => comment.body?.includes('user=bob'))).toHaveLength(3);
    gh.done();
  });

  it('finds its comment on a later page', async () => {
    gh = mockGitHub();
    const mine = issueComment({ id: 99, body: `${marker('status', { kind: 'fix', number: 12 })}\nold`, user: { login: BOT } });
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', (req) => ({
      body: req.query.page === '2' ? [mine] : [issueComment({ id: 1 })],
      headers: req.query.page === '2' ? {} : { link: `<${gh.baseUrl}/repos/acme/widgets/issues/12/comments?per_page=100&page=2>; rel="next"` },
    }), { times: 2 });
    gh.on('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { body: mine });
    const result = await upsertComment(octokit(), target, 'status', { kind: 'fix', number: 12 }, 'new', 'swe-bot');
    expect(result).toMatchObject({ id: 99, created: false });
    expect(gh.operations()).toEqual(['issues/list-comments', 'issues/list-comments', 'issues/update-comment']);
    gh.done();
  });
});
