import { Octokit } from '@octokit/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { marker } from '../../src/github/markers.ts';
import { fixBranch, publishFix, type PublishFixInput } from '../../src/github/publish-fix.ts';
import { gitBlob, gitCommit, gitRef, gitTree, mockGitHub, pullRequest, replies, type MockGitHub } from '../helpers/github-api.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const BASE = 'b'.repeat(40);
const BASE_TREE = 'e'.repeat(40);
const NEW_TREE = 'f'.repeat(40);
const NEW_COMMIT = 'c'.repeat(40);
const BRANCH_PATH = '/repos/acme/widgets/git/refs/heads/swe-bot/issue-12';

const input = (patch: Partial<PublishFixInput> = {}): PublishFixInput => ({
  owner: 'acme',
  repo: 'widgets',
  issueNumber: 12,
  baseSha: BASE,
  baseBranch: 'main',
  files: [
    { path: 'src/add.js', content: Buffer.from('export const add = (a, b) => a + b;\n') },
    { path: 'bin/run', content: Buffer.from('#!/bin/sh\n'), mode: '100755' },
    { path: 'old.txt', content: null },
  ],
  commitMessage: 'Fix #12: add numbers',
  title: 'Fix #12: add numbers',
  body: `${marker('fix', { issue: 12 })}\nFixes #12`,
  draft: true,
  ...patch,
});

/** The commit part, the same on every run: base commit, one blob per written file, tree, commit. */
function declareCommit(gh: MockGitHub): void {
  gh.on('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { body: gitCommit({ sha: BASE, tree: { sha: BASE_TREE } }) });
  gh.on('POST /repos/{owner}/{repo}/git/blobs', (req) => {
    const content = Buffer.from((req.body as { content: string }).content, 'base64').toString();
    return { status: 201, body: gitBlob({ sha: content.startsWith('#!') ? '2'.repeat(40) : '1'.repeat(40) }) };
  });
  gh.on('POST /repos/{owner}/{repo}/git/trees', { status: 201, body: gitTree({ sha: NEW_TREE }) });
  gh.on('POST /repos/{owner}/{repo}/git/commits', { status: 201, body: gitCommit({ sha: NEW_COMMIT }) });
}

describe('publishFix', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it('first run: blobs, a tree on the base tree (deletion as sha null), a commit on the base, a new branch and a draft pull request', async () => {
    gh = mockGitHub();
    declareCommit(gh);
    gh.on(`GET /repos/acme/widgets/git/ref/heads/swe-bot/issue-12`, replies.notFound());
    gh.on('POST /repos/{owner}/{repo}/git/refs', { status: 201, body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/pulls', { status: 201, body: pullRequest({ number: 31, html_url: 'https://github.com/acme/widgets/pull/31' }) });

    const result = await publishFix(octokit(), input());

    expect(result).toEqual({ branch: 'swe-bot/issue-12', commitSha: NEW_COMMIT, pullRequest: { number: 31, url: 'https://github.com/acme/widgets/pull/31' }, created: true });
    expect(gh.operations()).toEqual([
      'git/get-commit', 'git/create-blob', 'git/create-blob', 'git/create-tree', 'git/create-commit',
      'git/get-ref', 'git/create-ref', 'pulls/list', 'pulls/create',
    ]);
    expect(gh.calls('git/get-commit')[0]?.params).toMatchObject({ commit_sha: BASE });
    expect(gh.calls('git/create-blob').map((r) => r.body)).toEqual([
      { content: Buffer.from('export const add = (a, b) => a + b;\n').toString('base64'), encoding: 'base64' },
      { content: Buffer.from('#!/bin/sh\n').toString('base64'), encoding: 'base64' },
    ]);
    expect(gh.calls('git/create-tree')[0]?.body).toEqual({
      base_tree: BASE_TREE,
      tree: [
        { path: 'src/add.js', mode: '100644', type: 'blob', sha: '1'.repeat(40) },
        { path: 'bin/run', mode: '100755', type: 'blob', sha: '2'.repeat(40) },
        { path: 'old.txt', mode: '100644', type: 'blob', sha: null },
      ],
    });
    expect(gh.calls('git/create-commit')[0]?.body).toEqual({ message: 'Fix #12: add numbers', tree: NEW_TREE, parents: [BASE] });
    expect(gh.calls('git/create-ref')[0]?.body).toEqual({ ref: 'refs/heads/swe-bot/issue-12', sha: NEW_COMMIT });
    expect(gh.calls('pulls/list')[0]?.query).toMatchObject({ head: 'acme:swe-bot/issue-12', state: 'all' });
    expect(gh.calls('pulls/create')[0]?.body).toEqual({
      head: 'swe-bot/issue-12', base: 'main', title: 'Fix #12: add numbers', body: input().body, draft: true, maintainer_can_modify: true,
    });
    gh.done();
  });

  it('second run for the same issue: the branch is force-updated and the open pull request updated, no second one', async () => {
    gh = mockGitHub();
    declareCommit(gh);
    gh.on(`GET /repos/acme/widgets/git/ref/heads/swe-bot/issue-12`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12', object: { sha: 'a'.repeat(40) } }) });
    gh.on(`PATCH ${BRANCH_PATH}`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [pullRequest({ number: 31, state: 'open' })] });
    gh.on('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 31, html_url: 'https://github.com/acme/widgets/pull/31' }) });

    const result = await publishFix(octokit(), input({ title: 'Fix #12 (second attempt)', draft: false }));

    expect(result).toMatchObject({ commitSha: NEW_COMMIT, pullRequest: { number: 31 }, created: false });
    expect(gh.operations()).toEqual([
      'git/get-commit', 'git/create-blob', 'git/create-blob', 'git/create-tree', 'git/create-commit',
      'git/get-ref', 'git/update-ref', 'pulls/list', 'pulls/update',
    ]);
    expect(gh.calls('git/update-ref')[0]?.body).toEqual({ sha: NEW_COMMIT, force: true });
    expect(gh.calls('pulls/update')[0]).toMatchObject({ params: { pull_number: 31 }, body: { title: 'Fix #12 (second attempt)', body: input().body } });
    expect(gh.calls('pulls/update')[0]?.body).not.toHaveProperty('state');
    gh.done();
  });

  it('reopens a closed, unmerged pull request of the branch', async () => {
    gh = mockGitHub();
    declareCommit(gh);
    gh.on(`GET /repos/acme/widgets/git/ref/heads/swe-bot/issue-12`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on(`PATCH ${BRANCH_PATH}`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [pullRequest({ number: 31, state: 'closed', merged_at: null })] });
    gh.on('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 31 }) });

    const result = await publishFix(octokit(), input());

    expect(result).toMatchObject({ pullRequest: { number: 31 }, created: false });
    expect(gh.calls('pulls/update')[0]?.body).toMatchObject({ state: 'open', title: 'Fix #12: add numbers' });
    expect(gh.operations()).not.toContain('pulls/create');
    gh.done();
  });

  it('opens a new pull request when the earlier one was merged', async () => {
    gh = mockGitHub();
    declareCommit(gh);
    gh.on(`GET /repos/acme/widgets/git/ref/heads/swe-bot/issue-12`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on(`PATCH ${BRANCH_PATH}`, { body: gitRef({ ref: 'refs/heads/swe-bot/issue-12' }) });
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [pullRequest({ number: 31, state: 'closed', merged_at: '2024-01-01T00:00:00Z' })] });
    gh.on('POST /repos/{owner}/{repo}/pulls', { status: 201, body: pullRequest({ number: 40 }) });

    const result = await publishFix(octokit(), input());

    expect(result).toMatchObject({ pullRequest: { number: 40 }, created: true });
    expect(gh.operations().slice(-2)).toEqual(['pulls/list', 'pulls/create']);
    gh.done();
  });

  it('propagates errors other than a missing branch', async () => {
    gh = mockGitHub();
    declareCommit(gh);
    gh.on(`GET /repos/acme/widgets/git/ref/heads/swe-bot/issue-12`, replies.error(403, 'Resource not accessible by integration'));
    await expect(publishFix(octokit(), input())).rejects.toMatchObject({ status: 403 });
    expect(fixBranch(7)).toBe('swe-bot/issue-7');
  });
});
