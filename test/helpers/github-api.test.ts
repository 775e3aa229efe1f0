import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { verify } from '@octokit/webhooks-methods';
import Docker from 'dockerode';
import { pino } from 'pino';
import { createNodeMiddleware, Probot, ProbotOctokit } from 'probot';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRun, collaboratorPermission, deliverWebhook, fileContent, gitRef, issueComment, mockGitHub, pullRequest, replies,
  signWebhook, TestOctokit, webhookExample, type MockGitHub,
} from './github-api.ts';
import {
  createOpenApiValidator, loadOperations, OpenApiValidationError, toJsonSchema, validateRequest, type OpenApiValidator, type RequestToValidate,
} from './openapi-validator.ts';

const UA = { 'user-agent': 'swe-bot-test', 'content-type': 'application/json' };
const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('OpenAPI request validator', () => {
  let validator: OpenApiValidator;
  beforeAll(() => {
    validator = createOpenApiValidator({ githubApp: true });
    // Loading is reported so a slow-down shows up in the test output.
    console.info(`GitHub OpenAPI description: ${validator.stats.operations} operations loaded in ${validator.stats.ms} ms${validator.stats.fromCache ? ' (from cache)' : ' (from the 73 MB deref file)'}`);
  });

  const check = (method: string, url: string, body?: unknown): string =>
    validator.validateRequest({ method, url: `https://api.github.com${url}`, headers: UA, body: body === undefined ? undefined : JSON.stringify(body) }).operationId;
  const problem = (request: RequestToValidate): string => {
    try {
      validator.validateRequest({ headers: UA, ...request, url: `https://api.github.com${request.url}` });
    } catch (error) {
      expect(error).toBeInstanceOf(OpenApiValidationError);
      return (error as Error).message;
    }
    throw new Error('the request was accepted');
  };

  it.each([
    ['issues/create-comment', 'POST', '/repos/acme/widgets/issues/12/comments', { body: 'On it.' }],
    ['issues/update-comment', 'PATCH', '/repos/acme/widgets/issues/comments/4242', { body: 'Done: see #13' }],
    ['reactions/create-for-issue', 'POST', '/repos/acme/widgets/issues/12/reactions', { content: 'eyes' }],
    ['repos/get-collaborator-permission-level', 'GET', '/repos/acme/widgets/collaborators/octocat/permission', undefined],
    ['repos/get-content', 'GET', '/repos/acme/widgets/contents/.github%2Fswe-bot.yml?ref=main', undefined],
    ['git/create-blob', 'POST', '/repos/acme/widgets/git/blobs', { content: 'aGVsbG8=', encoding: 'base64' }],
    ['git/create-tree', 'POST', '/repos/acme/widgets/git/trees', {
      base_tree: 'a'.repeat(40),
      tree: [{ path: 'src/a.ts', mode: '100644', type: 'blob', sha: 'b'.repeat(40) }, { path: 'old.ts', mode: '100644', type: 'blob', sha: null }],
    }],
    ['git/create-commit', 'POST', '/repos/acme/widgets/git/commits', {
      message: 'Fix #12', tree: 'c'.repeat(40), parents: ['a'.repeat(40)],
      author: { name: 'swe-bot', email: 'bot@example.com', date: '2025-01-02T03:04:05Z' },
    }],
    ['git/create-ref', 'POST', '/repos/acme/widgets/git/refs', { ref: 'refs/heads/swe-bot/issue-1', sha: 'd'.repeat(40) }],
    // Octokit percent-encodes the slashes of `ref`; other clients send them raw.
    ['git/update-ref', 'PATCH', '/repos/acme/widgets/git/refs/heads%2Fswe-bot%2Fissue-1', { sha: 'e'.repeat(40), force: true }],
    ['git/update-ref', 'PATCH', '/repos/acme/widgets/git/refs/heads/swe-bot/issue-1', { sha: 'e'.repeat(40) }],
    ['pulls/list', 'GET', '/repos/acme/widgets/pulls?head=acme%3Aswe-bot%2Fissue-1&state=all', undefined],
    ['pulls/create', 'POST', '/repos/acme/widgets/pulls', { title: 'Fix #12', head: 'swe-bot/issue-1', base: 'main', body: 'Fixes #12', draft: false, maintainer_can_modify: true }],
    ['pulls/update', 'PATCH', '/repos/acme/widgets/pulls/13', { title: 'Fix #12 (v2)', body: 'Fixes #12' }],
    ['pulls/create-review', 'POST', '/repos/acme/widgets/pulls/13/reviews', {
      commit_id: 'f'.repeat(40), event: 'COMMENT', body: 'Two findings.',
      comments: [
        { path: 'src/a.ts', line: 10, side: 'RIGHT', body: 'Off by one.' },
        { path: 'src/b.ts', start_line: 3, start_side: 'RIGHT', line: 5, side: 'RIGHT', body: 'Unchecked error.' },
      ],
    }],
    ['checks/create', 'POST', '/repos/acme/widgets/check-runs', {
      name: 'swe-bot review', head_sha: 'f'.repeat(40), status: 'in_progress', started_at: '2025-01-02T03:04:05Z',
      output: { title: 'Reviewing', summary: 'Running the tests…' },
    }],
    ['checks/update', 'PATCH', '/repos/acme/widgets/check-runs/987654321012', {
      status: 'completed', conclusion: 'neutral', completed_at: '2025-01-02T03:14:05Z',
      output: {
        title: '2 findings', summary: 'See annotations.',
        annotations: [{ path: 'src/a.ts', start_line: 10, end_line: 10, annotation_level: 'warning', message: 'Off by one.', title: 'Bug' }],
      },
    }],
    ['apps/create-installation-access-token', 'POST', '/app/installations/99/access_tokens', undefined],
  ])('accepts %s: %s %s', (operationId, method, url, body) => {
    expect(check(method, url, body)).toBe(operationId);
  });

  it('decodes and types path parameters, keeps slashes of multi-segment ones', () => {
    const r = validator.validateRequest({ method: 'PATCH', url: '/repos/acme/widgets/git/refs/heads%2Fswe-bot%2Fissue-1', body: { sha: 'e'.repeat(40) } });
    expect(r.params).toEqual({ owner: 'acme', repo: 'widgets', ref: 'heads/swe-bot/issue-1' });
    expect(r.route).toBe('PATCH /repos/{owner}/{repo}/git/refs/{ref}');
    expect(validator.validateRequest({ method: 'GET', url: '/repos/acme/widgets/contents/src/deep/a.ts?ref=main' }).params).toMatchObject({ path: 'src/deep/a.ts' });
    expect(validator.validateRequest({ method: 'POST', url: '/repos/acme/widgets/issues/12/comments', body: { body: 'x' } }).params).toMatchObject({ issue_number: 12 });
  });

  it('prefers literal segments over parameters', () => {
    expect(check('GET', '/repos/acme/widgets/pulls/comments')).toBe('pulls/list-review-comments-for-repo');
    expect(check('GET', '/repos/acme/widgets/pulls/7')).toBe('pulls/get');
    expect(check('GET', '/repos/acme/widgets/issues/comments/5')).toBe('issues/get-comment');
    expect(check('GET', '/repos/acme/widgets/branches/feature/x/protection')).toBe('repos/get-branch-protection');
  });

  it('strips a GitHub Enterprise Server base path', () => {
    expect(check('GET', '/api/v3/repos/acme/widgets/pulls/7')).toBe('pulls/get');
    const ghes = createOpenApiValidator({ baseUrl: 'https://ghe.example.com/github/api/v3' });
    expect(ghes.validateRequest({ method: 'GET', url: 'https://ghe.example.com/github/api/v3/repos/a/b/pulls/1' }).operationId).toBe('pulls/get');
  });

  it('rejects a review comment without path, naming operation and JSON path', () => {
    const message = problem({ method: 'POST', url: '/repos/acme/widgets/pulls/13/reviews', body: { event: 'COMMENT', body: 'x', comments: [{ line: 3, body: 'nit' }] } });
    expect(message).toContain('pulls/create-review');
    expect(message).toContain('body.comments[0].path: is required');
  });

  it('rejects an unknown route, and a known path with the wrong method', () => {
    expect(problem({ method: 'GET', url: '/repos/acme/widgets/pull/13' })).toContain('route: no such operation');
    expect(problem({ method: 'PUT', url: '/repos/acme/widgets/issues/12/comments', body: { body: 'x' } })).toContain('no PUT operation on this path (it takes GET, POST)');
  });

  it('rejects a check run with a wrong conclusion', () => {
    const message = problem({ method: 'PATCH', url: '/repos/acme/widgets/check-runs/5', body: { status: 'completed', conclusion: 'passed' } });
    expect(message).toContain('checks/update');
    expect(message).toMatch(/body\.conclusion: must be one of "action_required".*got "passed"/);
  });

  it('rejects a non-integer issue number', () => {
    expect(problem({ method: 'POST', url: '/repos/acme/widgets/issues/twelve/comments', body: { body: 'x' } }))
      .toContain('path.issue_number: must be integer; got "twelve"');
  });

  it('rejects unknown and mistyped query parameters, missing and misspelt body fields', () => {
    expect(problem({ method: 'GET', url: '/repos/acme/widgets/pulls?status=open' })).toContain('query.status: is not a parameter of this operation');
    expect(problem({ method: 'GET', url: '/repos/acme/widgets/pulls?state=merged' })).toContain('query.state: must be one of "open", "closed", "all"');
    expect(problem({ method: 'GET', url: '/repos/acme/widgets/pulls?per_page=many' })).toContain('query.per_page: must be integer');
    expect(problem({ method: 'POST', url: '/repos/acme/widgets/issues/1/comments' })).toContain('body: is required');
    expect(problem({ method: 'POST', url: '/repos/acme/widgets/pulls/1/reviews', body: { commit_sha: 'x', event: 'COMMENT', body: 'x' } }))
      .toContain('body.commit_sha: is not a property of this schema');
    expect(problem({ method: 'POST', url: '/repos/acme/widgets/issues/1/reactions', body: { content: 'thinking' } })).toContain('body.content: must be one of');
    expect(problem({ method: 'POST', url: '/repos/acme/widgets/issues/1/comments', body: '{"body": ' })).toContain('body: is not valid JSON');
    expect(problem({ method: 'GET', url: '/repos/acme/widgets/pulls/1', headers: {} })).toContain('header.user-agent: is required');
  });

  it('rejects operations GitHub Apps cannot call when githubApp is set', () => {
    const url = '/repos/acme/widgets/pulls/1/comments/2/replies';
    expect(problem({ method: 'POST', url, body: { body: 'x' } })).toContain('enabledForGitHubApps: false');
    expect(createOpenApiValidator().validateRequest({ method: 'POST', url, body: { body: 'x' } }).operationId).toBe('pulls/create-reply-for-review-comment');
  });

  it('translates OpenAPI nullable into JSON Schema', () => {
    expect(toJsonSchema({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(toJsonSchema({ type: 'string', enum: ['a', 'b'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(toJsonSchema({ oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true }))
      .toEqual({ anyOf: [{ type: 'null' }, { oneOf: [{ type: 'string' }, { type: 'integer' }] }] });
    expect(toJsonSchema({ type: 'object', properties: { a: { type: 'string' } } }, true)).toMatchObject({ additionalProperties: false });
    expect(toJsonSchema({ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }] }, true)).toEqual({ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }] });
    // ...and null is accepted where GitHub's schemas say nullable: a nullable enum, a nullable oneOf without type.
    expect(check('PATCH', '/repos/acme/widgets/issues/12', { state: 'open', state_reason: null, milestone: null })).toBe('issues/update');
    expect(problem({ method: 'PATCH', url: '/repos/acme/widgets/issues/12', body: { state_reason: 'fixed' } })).toContain('body.state_reason');
  });

  it('has a process-wide validateRequest for api.github.com', () => {
    expect(validateRequest({ method: 'DELETE', url: '/repos/acme/widgets/git/refs/heads%2Fswe-bot%2Fissue-1' }).operationId).toBe('git/delete-ref');
    expect(() => validateRequest({ method: 'DELETE', url: '/repos/acme/widgets/git/refs/heads%2Fx', body: { sha: 'a' } })).toThrow(/git\/delete-ref.*takes no request body/);
  });

  it('loads the description once and caches the reduced form', () => {
    const first = loadOperations();
    expect(loadOperations()).toBe(first);
    expect(first.operations.find((o) => o.operationId === 'git/update-ref')?.parameters.find((p) => p.name === 'ref')?.multiSegment).toBe(true);
  });
});

describe('mockGitHub', () => {
  let gh: MockGitHub;
  afterEach(() => gh.close());
  const octokit = (): Octokit => new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent });

  it('answers an Octokit client and records the sequence of calls', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', { status: 201 });
    const comment = gh.on('POST /repos/{o}/{r}/issues/{n}/comments', (req) => ({ status: 201, body: issueComment({ id: 77, body: (req.body as { body: string }).body }) }));
    gh.on('PATCH /repos/acme/widgets/git/refs/heads/swe-bot/issue-1', { body: gitRef({ ref: 'refs/heads/swe-bot/issue-1' }) });
    gh.on('pulls/list', { body: [] });

    const client = octokit();
    await client.rest.reactions.createForIssue({ owner: 'acme', repo: 'widgets', issue_number: 12, content: 'eyes' });
    const { data } = await client.rest.issues.createComment({ owner: 'acme', repo: 'widgets', issue_number: 12, body: 'On it.' });
    expect(data).toMatchObject({ id: 77, body: 'On it.' });
    const ref = await client.rest.git.updateRef({ owner: 'acme', repo: 'widgets', ref: 'heads/swe-bot/issue-1', sha: 'a'.repeat(40), force: true });
    expect(ref.data.ref).toBe('refs/heads/swe-bot/issue-1');
    const prs = await client.rest.pulls.list({ owner: 'acme', repo: 'widgets', head: 'acme:swe-bot/issue-1', state: 'all' });
    expect(prs.data).toEqual([]);

    expect(gh.operations()).toEqual(['reactions/create-for-issue', 'issues/create-comment', 'git/update-ref', 'pulls/list']);
    expect(comment.calls).toHaveLength(1);
    expect(gh.requests[1]).toMatchObject({
      method: 'POST', path: '/repos/acme/widgets/issues/12/comments', route: 'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      params: { issue_number: 12 }, body: { body: 'On it.' }, status: 201,
    });
    expect(gh.requests[1]?.headers.authorization).toBe(`token ${gh.token}`);
    expect(gh.requests[2]?.path).toBe('/repos/acme/widgets/git/refs/heads/swe-bot/issue-1');
    expect(gh.requests[3]?.query).toEqual({ head: 'acme:swe-bot/issue-1', state: 'all' });
    expect(gh.calls('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions')[0]?.body).toEqual({ content: 'eyes' });
    gh.done();
  });

  it('replies with the description example when a handler gives no body', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission');
    const { data, status } = await octokit().rest.repos.getCollaboratorPermissionLevel({ owner: 'acme', repo: 'widgets', username: 'octocat' });
    expect(status).toBe(200);
    expect(data.permission).toBe('admin');
    gh.done();
  });

  it('serves a 500 once, then success, to a client that retries', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.serverError(), { times: 1 });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: issueComment({ id: 1 }) });
    const client = new TestOctokit({ auth: { token: gh.token }, baseUrl: gh.baseUrl, log: silent }); // plugin-retry, 1 ms apart
    const { data } = await client.rest.issues.createComment({ owner: 'acme', repo: 'widgets', issue_number: 3, body: 'hi' });
    expect(data.id).toBe(1);
    expect(gh.requests.map((r) => r.status)).toEqual([500, 201]);
    gh.done();
  });

  it('serves a secondary rate limit with retry-after, which the throttling plugin waits out', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.secondaryRateLimit(2), { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 5 }) });
    const waits: number[] = [];
    const client = new ProbotOctokit({
      auth: { token: gh.token }, baseUrl: gh.baseUrl, retry: { enabled: false }, log: silent,
      throttle: { retryAfterBaseValue: 1, onSecondaryRateLimit: (after: number) => { waits.push(after); return true; }, onRateLimit: () => false },
    });
    const { data } = await client.rest.pulls.get({ owner: 'acme', repo: 'widgets', pull_number: 5 });
    expect(data.number).toBe(5);
    expect(waits).toEqual([2]);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200]);
    gh.done();
  });

  it('answers 422 to a request that fails validation, and done() throws', async () => {
    gh = mockGitHub();
    // Declared, and still never called: the request is checked before any handler is looked for.
    const declared = gh.on('POST /repos/{owner}/{repo}/check-runs', undefined, { optional: true });
    await expect(octokit().request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'widgets', name: 'x', head_sha: 'a', conclusion: 'passed' as 'success' }))
      .rejects.toMatchObject({ status: 422, message: expect.stringContaining('body.conclusion') as unknown });
    expect(gh.errors).toHaveLength(1);
    expect(gh.requests[0]).toMatchObject({ operationId: 'checks/create', route: 'POST /repos/{owner}/{repo}/check-runs', status: 422 });
    expect(declared.calls).toEqual([]);
    expect(() => gh.assertValid()).toThrow(/checks\/create.*body\.conclusion/);
    expect(() => gh.done()).toThrow(/1 bad request/);
  });

  it('answers 404 to a request nobody declared, and done() throws', async () => {
    gh = mockGitHub();
    await expect(octokit().rest.issues.get({ owner: 'acme', repo: 'widgets', issue_number: 1 })).rejects.toMatchObject({ status: 404 });
    expect(gh.errors[0]).toContain('no handler for GET /repos/{owner}/{repo}/issues/{issue_number} (issues/get)');
    expect(() => gh.done()).toThrow(/no handler/);
  });

  it('done() lists declared calls that did not happen; optional and match work', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [pullRequest({ number: 9 })] }, { match: (r) => r.query.state === 'all' });
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [] }, { optional: true });
    gh.on('POST /repos/{owner}/{repo}/pulls', { body: pullRequest() }, { times: 2 });
    const { data } = await octokit().rest.pulls.list({ owner: 'acme', repo: 'widgets', state: 'all' });
    expect(data[0]?.number).toBe(9);
    await octokit().rest.pulls.create({ owner: 'acme', repo: 'widgets', head: 'x', base: 'main', title: 't' });
    expect(() => gh.done()).toThrow(/POST \/repos\/\{owner\}\/\{repo\}\/pulls \(pulls\/create\): 1 of 2/);
  });

  // Strict by default (./mock-checks.ts): these fail in the end-of-test
  // check alone, their bodies cannot fail.
  it.fails('fails a test that leaves a declared call unused, though it never called done()', () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/pulls', { body: pullRequest() });
  });

  it.fails('fails a test whose request had no handler, though the client swallowed the 404', async () => {
    gh = mockGitHub();
    await octokit().rest.issues.get({ owner: 'acme', repo: 'widgets', issue_number: 1 }).catch(() => undefined);
  });

  it.fails('fails a test that sent a request to an unmocked host while no mock was open', async () => {
    gh = mockGitHub();
    gh.close();
    await fetch('https://api.github.com/zen').catch(() => undefined);
  });

  it('lets an optional call go unused, and does not report again a missing call done() threw for', () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls', { body: [] }, { optional: true });
    gh.on('POST /repos/{owner}/{repo}/pulls', { body: pullRequest() });
    expect(() => gh.done()).toThrow(/pulls\/create\): 0 of at least 1/);
  });

  it('refuses to declare a route that does not exist', () => {
    gh = mockGitHub();
    expect(() => gh.on('POST /repos/{owner}/{repo}/issue/{n}/comments')).toThrow(/no such operation/);
  });

  it('works under a GHES base URL', async () => {
    gh = mockGitHub({ baseUrl: 'https://ghe.example.com/api/v3' });
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', { body: fileContent('.github/swe-bot.yml', 'review: true\n') });
    const { data } = await octokit().rest.repos.getContent({ owner: 'acme', repo: 'widgets', path: '.github/swe-bot.yml', ref: 'main' });
    expect(Buffer.from((data as { content: string }).content, 'base64').toString()).toBe('review: true\n');
    expect(gh.requests[0]).toMatchObject({ path: '/repos/acme/widgets/contents/.github/swe-bot.yml', params: { path: '.github/swe-bot.yml' }, query: { ref: 'main' } });
    gh.done();
  });

  it('records requests to hosts that are not mocked', async () => {
    gh = mockGitHub();
    await expect(fetch('https://uploads.github.com/x')).rejects.toThrow();
    expect(gh.errors[0]).toContain('unmocked host');
    expect(() => gh.assertValid()).toThrow(/uploads\.github\.com.*unmocked host/);
  });

  it('builds GitHub-shaped bodies from the description examples', () => {
    gh = mockGitHub();
    expect(issueComment({ id: 5, body: 'x' })).toMatchObject({ id: 5, body: 'x', user: { login: 'octocat' } });
    expect(checkRun({ conclusion: 'neutral' })).toMatchObject({ conclusion: 'neutral', head_sha: expect.any(String) as unknown });
    expect(collaboratorPermission('bob', 'write')).toMatchObject({ permission: 'write', user: { login: 'bob' } });
  });

  it.runIf(existsSync('/var/run/docker.sock'))('lets Docker requests over the Unix socket through', async () => {
    gh = mockGitHub();
    expect(String(await new Docker({ socketPath: '/var/run/docker.sock' }).ping())).toBe('OK');
    expect(gh.errors).toEqual([]);
    expect(gh.requests).toEqual([]);
  });
});

describe('a mock shared by the tests of a file (created in beforeAll)', () => {
  let shared: MockGitHub;
  beforeAll(() => {
    shared = mockGitHub({ baseUrl: 'https://ghe.shared.test/api/v3' });
  });
  afterAll(() => shared.close());
  const client = (): Octokit => new Octokit({ baseUrl: shared.baseUrl, auth: shared.token, log: silent });

  it.fails('fails the test that sent a request nobody declared', async () => {
    await client().rest.issues.get({ owner: 'acme', repo: 'widgets', issue_number: 1 }).catch(() => undefined);
  });

  it('stays open for the next test, which the earlier bad request does not fail', async () => {
    shared.on('GET /repos/{owner}/{repo}/issues/{issue_number}');
    const { status } = await client().rest.issues.get({ owner: 'acme', repo: 'widgets', issue_number: 1 });
    expect(status).toBe(200);
    expect(shared.errors).toEqual([expect.stringContaining('no handler for GET /repos/{owner}/{repo}/issues/{issue_number}')]);
  });
});

describe('a Probot app against the mock', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const secret = 'webhook-secret';
  let gh: MockGitHub;
  afterEach(() => gh.close());

  const probot = (): Probot => new Probot({
    appId: 1, privateKey, secret, baseUrl: gh.baseUrl, log: pino({ level: 'silent' }),
    Octokit: TestOctokit,
  });
  const app = (bot: Probot): void => {
    bot.on('issues.opened', async (context) => {
      await context.octokit.rest.issues.createComment(context.issue({ body: 'Thanks!' }));
    });
  };
  const payload = () => webhookExample('issues', 'opened', { installation: { id: 42 }, repository: { name: 'widgets', owner: { login: 'acme' } }, issue: { number: 12 } });

  it('authenticates as the installation with the default token handler', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: issueComment() });
    const bot = probot();
    await bot.load(app);
    await bot.receive({ id: '1', name: 'issues', payload: payload() });
    expect(gh.operations()).toEqual(['apps/create-installation-access-token', 'issues/create-comment']);
    expect(gh.requests[0]).toMatchObject({ path: '/app/installations/42/access_tokens', params: { installation_id: 42 } });
    expect(gh.requests[0]?.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    expect(gh.requests[1]).toMatchObject({ path: '/repos/acme/widgets/issues/12/comments', body: { body: 'Thanks!' } });
    expect(gh.requests[1]?.headers.authorization).toBe(`token ${gh.token}`);
    gh.done();
  });

  it('receives a signed delivery over HTTP on 127.0.0.1, and rejects a wrong signature', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: issueComment() });
    const middleware = await createNodeMiddleware(app, { probot: probot() });
    const server = http.createServer((req, res) => void middleware(req, res, () => { res.writeHead(404).end(); }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
      const bad = await deliverWebhook({ url, event: 'issues', payload: payload(), secret: 'wrong' });
      expect(bad.status).toBe(400);
      expect(gh.requests).toEqual([]);
      const ok = await deliverWebhook({ url, event: 'issues', payload: payload(), secret, deliveryId: 'd-1' });
      expect(ok.status).toBe(200);
      expect(gh.operations()).toEqual(['apps/create-installation-access-token', 'issues/create-comment']);
      gh.done();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('webhook fixtures', () => {
  it('picks an example by event and action, adds the installation, deep-merges the patch', () => {
    const payload = webhookExample('issue_comment', 'created', {
      comment: { body: '@swe-bot fix this' },
      repository: { name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' } },
    });
    expect(payload.action).toBe('created');
    expect(payload.comment.body).toBe('@swe-bot fix this');
    expect(payload.comment.user?.login).toEqual(expect.any(String));
    expect(payload.repository).toMatchObject({ name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme', id: expect.any(Number) as unknown } });
    expect(payload.installation).toMatchObject({ id: 1 });
    expect(webhookExample('issue_comment', 'created', { installation: { id: 7 } }).installation?.id).toBe(7);
    expect(webhookExample('push').ref).toEqual(expect.any(String));
    expect(() => webhookExample('issues', 'exploded' as 'opened')).toThrow(/no "issues" example with action "exploded" \(it has: .*opened/);
  });

  it('does not share state between calls', () => {
    const a = webhookExample('issues', 'opened', { issue: { title: 'changed' } });
    expect(webhookExample('issues', 'opened').issue.title).not.toBe(a.issue.title);
  });

  it('signs like GitHub (the documentation test vector), verifiable by @octokit/webhooks-methods', async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    expect(signWebhook('Hello, World!', "It's a Secret to Everybody")).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
    const body = JSON.stringify(webhookExample('ping'));
    expect(await verify('s3cret', body, signWebhook(body, 's3cret'))).toBe(true);
    expect(await verify('other', body, signWebhook(body, 's3cret'))).toBe(false);
  });

  it('delivers with the headers GitHub sends', async () => {
    const seen: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => { seen.push({ headers: req.headers, body }); res.writeHead(202).end('queued'); });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const payload = webhookExample('pull_request', 'opened');
      const res = await deliverWebhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, event: 'pull_request', payload, secret: 'k', deliveryId: 'abc-123' });
      expect(res).toMatchObject({ status: 202, body: 'queued', deliveryId: 'abc-123' });
      const [{ headers, body } = { headers: {}, body: '' }] = seen;
      expect(headers).toMatchObject({ 'x-github-event': 'pull_request', 'x-github-delivery': 'abc-123', 'content-type': 'application/json' });
      expect(headers['x-hub-signature-256']).toBe(signWebhook(body, 'k'));
      expect(JSON.parse(body)).toEqual(payload);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
