import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { marker } from '../../src/github/markers.ts';
import { foldComments, lastReviewedHead, publishReview, type PublishReviewInput } from '../../src/github/publish-review.ts';
import { mockGitHub, replies, review, type MockGitHub } from '../helpers/github-api.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const HEAD = '1'.repeat(40);
const OLD = '2'.repeat(40);
const BOT = { login: 'swe-bot[bot]', type: 'Bot' };

const input = (patch: Partial<PublishReviewInput> = {}): PublishReviewInput => ({
  owner: 'acme', repo: 'widgets', pullNumber: 7, headSha: HEAD, appSlug: 'swe-bot', logger: pino({ level: 'silent' }),
  body: 'Two findings.',
  comments: [
    { path: 'src/a.js', line: 12, side: 'RIGHT', body: 'Off by one.\n```suggestion\nfor (let i = 0; i < n; i++) {\n```' },
    { path: 'src/b.js', start_line: 3, line: 5, side: 'RIGHT', body: 'This block can go.' },
    { path: 'src/c.js', line: 9, side: 'LEFT', start_line: 9, body: 'Removed check was needed.' },
  ],
  ...patch,
});

describe('publishReview', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it('posts one COMMENT review on the head commit, with the marker and inline comments on diff lines', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [review({ id: 1, body: 'LGTM', user: { login: 'alice' } })] });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: review({ id: 99, html_url: 'https://github.com/acme/widgets/pull/7#pullrequestreview-99' }) });

    const published = await publishReview(octokit(), input());

    expect(published).toEqual({ id: 99, url: 'https://github.com/acme/widgets/pull/7#pullrequestreview-99', created: true, folded: false });
    expect(gh.operations()).toEqual(['pulls/list-reviews', 'pulls/create-review']);
    expect(gh.calls('pulls/create-review')[0]).toMatchObject({ path: '/repos/acme/widgets/pulls/7/reviews' });
    expect(gh.calls('pulls/create-review')[0]?.body).toEqual({
      commit_id: HEAD,
      event: 'COMMENT',
      body: `${marker('review', { head: HEAD })}\nTwo findings.`,
      comments: [
        { path: 'src/a.js', line: 12, side: 'RIGHT', body: input().comments[0]?.body },
        { path: 'src/b.js', line: 5, side: 'RIGHT', start_line: 3, start_side: 'RIGHT', body: 'This block can go.' },
        { path: 'src/c.js', line: 9, side: 'LEFT', body: 'Removed check was needed.' },
      ],
    });
    gh.done();
  });

  it('returns the app’s review of this head instead of posting a second one', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [
      review({ id: 5, body: `${marker('review', { head: OLD })}\nearlier`, user: BOT }),
      review({ id: 6, body: `${marker('review', { head: HEAD })}\nalready done`, user: BOT, html_url: 'https://github.com/acme/widgets/pull/7#pullrequestreview-6' }),
    ] });
    expect(await publishReview(octokit(), input())).toEqual({ id: 6, url: 'https://github.com/acme/widgets/pull/7#pullrequestreview-6', created: false, folded: false });
    expect(gh.operations()).toEqual(['pulls/list-reviews']);
    gh.done();
  });

  it('ignores a review by someone else that carries the marker', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [review({ id: 6, body: `${marker('review', { head: HEAD })}\nfake`, user: { login: 'mallory' } })] });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: review({ id: 100 }) });
    expect(await publishReview(octokit(), input({ comments: [] }))).toMatchObject({ id: 100, created: true });
    expect(gh.calls('pulls/create-review')[0]?.body).not.toHaveProperty('comments');
    gh.done();
  });

  it('a 422 for lines outside the diff: posts again once with the comments folded into the body', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', replies.validationFailed('Unprocessable Entity', ['Pull request review thread line must be part of the diff']), { times: 1 });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: review({ id: 101 }) });

    const published = await publishReview(octokit(), input());

    expect(published).toMatchObject({ id: 101, created: true, folded: true });
    expect(gh.operations()).toEqual(['pulls/list-reviews', 'pulls/create-review', 'pulls/create-review']);
    const retry = gh.calls('pulls/create-review')[1]?.body as { body: string; comments?: unknown; commit_id: string; event: string };
    expect(retry).not.toHaveProperty('comments');
    expect(retry).toMatchObject({ commit_id: HEAD, event: 'COMMENT' });
    expect(retry.body.startsWith(`${marker('review', { head: HEAD })}\nTwo findings.`)).toBe(true);
    expect(retry.body).toContain('**`src/a.js`, line 12**');
    expect(retry.body).toContain('**`src/b.js`, lines 3–5**');
    expect(retry.body).toContain('**`src/c.js`, line 9 (old version)**');
    expect(retry.body).toContain('```suggestion');
    gh.done();
  });

  it('does not retry a 422 when there were no inline comments, nor other errors', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', replies.validationFailed('Unprocessable Entity', ['Can not approve your own pull request']), { times: 1 });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', replies.error(403, 'Resource not accessible by integration'), { times: 1 });
    await expect(publishReview(octokit(), input({ comments: [] }))).rejects.toMatchObject({ status: 422 });
    await expect(publishReview(octokit(), input())).rejects.toMatchObject({ status: 403 });
    expect(gh.operations()).toEqual(['pulls/list-reviews', 'pulls/create-review', 'pulls/list-reviews', 'pulls/create-review']);
    gh.done();
  });

  it('folds comments into a readable body', () => {
    expect(foldComments('Summary.', [{ path: 'x.ts', line: 2, side: 'RIGHT', body: 'nit' }])).toBe(
      'Summary.\n\n---\n\n**Comments on specific lines** (they could not be placed on the diff):\n\n**`x.ts`, line 2**\n\nnit',
    );
  });
});

describe('lastReviewedHead', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });
  const where = { owner: 'acme', repo: 'widgets', pullNumber: 7, appSlug: 'swe-bot' };

  it('is the head of the app’s most recent review with a marker', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [
      review({ id: 1, body: `${marker('review', { head: OLD })}\nfirst`, user: BOT }),
      review({ id: 2, body: `${marker('review', { head: HEAD })}\nsecond`, user: BOT }),
      review({ id: 3, body: `${marker('review', { head: 'f'.repeat(40) })}\nforged`, user: { login: 'mallory' } }),
      review({ id: 4, body: 'a plain reply', user: BOT }),
    ] });
    expect(await lastReviewedHead(octokit(), where)).toBe(HEAD);
    gh.done();
  });

  it('is undefined when the app never reviewed', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: [review({ id: 1, body: 'LGTM', user: { login: 'alice' } })] });
    expect(await lastReviewedHead(octokit(), where)).toBeUndefined();
    gh.done();
  });
});
