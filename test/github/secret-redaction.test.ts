import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubAuth } from '../../src/github/github-auth.ts';
import { redactingOctokit, tokenLearningFetch } from '../../src/github/secret-redaction.ts';
import { createSecretRedactor, REDACTED } from '../../src/util/secret-redactor.ts';
import { checkRun, gitBlob, issueComment, mockGitHub, pullRequest, review, TestOctokit, type GitHubRequest, type MockGitHub } from '../helpers/github-api.ts';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const INSTALLATION_TOKEN = 'ghs_installationTokenForTheWebhookHandlers1';
const CLONE_TOKEN = 'ghs_restrictedCloneTokenReadingOneRepository';
const where = { owner: 'acme', repo: 'widgets' };

let gh: MockGitHub;
afterEach(() => gh.close());

function setup(baseUrl?: string) {
  gh = mockGitHub({ installationToken: false, ...(baseUrl ? { baseUrl } : {}) });
  // Two tokens: the installation's (minted by @octokit/auth-app on the first request) and a clone token (restricted to one repository).
  gh.on('POST /app/installations/{installation_id}/access_tokens', (req) => ({
    status: 201,
    body: {
      token: (req.body as { repository_ids?: number[] } | undefined)?.repository_ids ? CLONE_TOKEN : INSTALLATION_TOKEN,
      expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'read', issues: 'write', checks: 'write', pull_requests: 'write' },
      repository_selection: 'all',
    },
  }), { optional: true });
  const redactor = createSecretRedactor();
  const logger = pino({ level: 'silent' });
  // As the service builds it (src/server/service.ts).
  const probot = new Probot({
    appId: 1,
    privateKey,
    baseUrl: gh.baseUrl,
    log: logger,
    Octokit: redactingOctokit(TestOctokit, redactor),
    request: { fetch: tokenLearningFetch(redactor) },
  });
  return { redactor, github: createGitHubAuth(probot, logger, { writeSpacingMs: 0 }) };
}

const bodyOf = (request: GitHubRequest | undefined): string => JSON.stringify(request?.body);

describe('redactingOctokit and tokenLearningFetch', () => {
  it.each([['github.com', undefined], ['GitHub Enterprise Server', 'https://ghe.test/api/v3']])('on %s: learns each installation token as it is minted, and cleans what people read of every secret it knows', async (_where, baseUrl) => {
    const { redactor, github } = setup(baseUrl);
    redactor.add('the-webhook-secret');
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment() });
    gh.on('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { body: issueComment() });
    gh.on('POST /repos/{owner}/{repo}/pulls', { status: 201, body: pullRequest() });
    gh.on('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { body: review() });
    gh.on('POST /repos/{owner}/{repo}/check-runs', { status: 201, body: checkRun() });
    gh.on('POST /repos/{owner}/{repo}/git/blobs', { status: 201, body: gitBlob() });

    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: [] });
    const octokit = await github.installation(99);
    // The first request mints the installation's token (a text can only quote a token once it exists).
    await octokit.rest.issues.listComments({ ...where, issue_number: 7 });
    const cloneToken = await github.cloneToken(99, 4242);
    expect(cloneToken).toBe(CLONE_TOKEN);
    const secrets = `token ${INSTALLATION_TOKEN}, clone ${CLONE_TOKEN}, secret the-webhook-secret, header ${Buffer.from(`x-access-token:${CLONE_TOKEN}`).toString('base64')}`;

    const comment = { ...where, issue_number: 7, body: `failed: ${secrets}` };
    await octokit.rest.issues.createComment(comment);
    await octokit.rest.issues.updateComment({ ...where, comment_id: 1, body: secrets });
    await octokit.rest.pulls.create({ ...where, head: 'swe-bot/issue-7', base: 'main', title: `Fix ${INSTALLATION_TOKEN}`, body: secrets });
    await octokit.rest.pulls.createReview({ ...where, pull_number: 5, event: 'COMMENT', body: secrets, comments: [{ path: 'a.js', line: 1, body: secrets }] });
    await octokit.rest.checks.create({
      ...where,
      name: 'swe-bot',
      head_sha: 'a'.repeat(40),
      output: { title: secrets, summary: secrets, text: secrets, annotations: [{ path: 'a.js', start_line: 1, end_line: 1, annotation_level: 'failure', message: secrets, raw_details: secrets }] },
    });
    // File contents are the change itself: left as they are.
    const content = Buffer.from(`const token = '${CLONE_TOKEN}';\n`).toString('base64');
    await octokit.rest.git.createBlob({ ...where, content, encoding: 'base64' });

    const written = gh.requests.filter((request) => request.method !== 'GET' && request.operationId !== 'apps/create-installation-access-token');
    expect(written.map((request) => request.operationId)).toEqual([
      'issues/create-comment', 'issues/update-comment', 'pulls/create', 'pulls/create-review', 'checks/create', 'git/create-blob',
    ]);
    for (const request of written.slice(0, -1)) {
      const text = bodyOf(request);
      for (const secret of [INSTALLATION_TOKEN, CLONE_TOKEN, 'the-webhook-secret', Buffer.from(`x-access-token:${CLONE_TOKEN}`).toString('base64')]) {
        expect(text, request.operationId).not.toContain(secret);
      }
      expect(text).toContain(REDACTED);
    }
    expect(gh.calls('issues/create-comment')[0]?.body).toEqual({ body: `failed: token ${REDACTED}, clone ${REDACTED}, secret ${REDACTED}, header ${REDACTED}` });
    expect(gh.calls('git/create-blob')[0]?.body).toEqual({ content, encoding: 'base64' });
    // The caller's object is not changed.
    expect(comment.body).toContain(INSTALLATION_TOKEN);
    gh.done();
  });
});
