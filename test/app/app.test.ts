/**
 * The webhook handlers against the mocked GitHub (every request checked
 * against the OpenAPI description) and a recording job intake: what gets
 * queued, what is refused, and which GitHub calls each path makes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/app.ts';
import type { EnqueueResult, JobIntake } from '../../src/queue/job-queues.ts';
import type { FixJobData, ReviewJobData } from '../../src/queue/job-data.ts';
import { createGitHubAuth } from '../../src/github/github-auth.ts';
import { collaboratorPermission, issueComment, mockGitHub, pullRequest, TestOctokit, webhookExample, type MockGitHub } from '../helpers/github-api.ts';

const { privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
const REPO = { id: 42, name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' }, clone_url: 'https://github.com/acme/widgets.git', default_branch: 'main' };
const SENDER = { login: 'alice', type: 'User' as const };

interface Recorded {
  fixes: FixJobData[];
  reviews: ReviewJobData[];
  cancels: string[];
  deliveries: Set<string>;
}

function recordingIntake(): JobIntake & { recorded: Recorded } {
  const recorded: Recorded = { fixes: [], reviews: [], cancels: [], deliveries: new Set() };
  /** As the queues do: a delivery seen before adds nothing. */
  const record = <T extends { deliveryId: string }>(list: T[], data: T, jobId: string): Promise<EnqueueResult> => {
    if (recorded.deliveries.has(data.deliveryId)) return Promise.resolve({ jobId, status: 'redelivered' });
    recorded.deliveries.add(data.deliveryId);
    list.push(data);
    return Promise.resolve({ jobId, status: 'queued' });
  };
  return {
    recorded,
    enqueueFix: (data) => record(recorded.fixes, data, `fix-${data.repository.id}-${data.issue.number}`),
    enqueueReview: (data) => record(recorded.reviews, data, `review-${data.pullRequest.number}`),
    cancel: (_kind, jobId) => {
      recorded.cancels.push(jobId);
      return Promise.resolve({ jobId, outcome: 'removed' });
    },
  };
}

let gh: MockGitHub;
afterEach(() => gh.close());

function setup(logger: Logger = pino({ level: 'silent' })): { app: App; intake: ReturnType<typeof recordingIntake>; clientsMade: () => number } {
  gh = mockGitHub();
  const intake = recordingIntake();
  const probot = new Probot({ appId: 1, privateKey, secret: 's', baseUrl: gh.baseUrl, log: logger, Octokit: TestOctokit });
  // The service's installation clients (rate-limited), writes not spaced so the tests run fast.
  const github = createGitHubAuth(probot, logger, { writeSpacingMs: 0 });
  let made = 0;
  const app = createApp({
    queue: intake,
    logger,
    github: {
      installation: (id) => {
        made += 1;
        return github.installation(id);
      },
      appSlug: () => Promise.resolve('swe-bot'),
    },
  });
  return { app, intake, clientsMade: () => made };
}

/** The contents API answers the raw media type the app asks for with the file's bytes. */
const rawFile = (text: string) => ({ body: text, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } });

const noConfig = (): void => {
  gh.on('GET /repos/{owner}/{repo}/contents/{path}', { status: 404, body: { message: 'Not Found' } }, { times: 2 });
};

const labeled = (label: string, sender: { login: string; type: 'User' | 'Bot' } = SENDER, issue = 7) =>
  webhookExample('issues', 'labeled', { repository: REPO, sender, label: { name: label }, issue: { number: issue }, installation: { id: 99 } });

describe('fix requests', () => {
  it('queues a fix for the autofix label from a writer, with ids and refs only', async () => {
    const { app, intake, clientsMade } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    await app.receive({ id: 'delivery-1', name: 'issues', payload: labeled('autofix') });
    expect(clientsMade()).toBe(1);
    expect(intake.recorded.fixes).toEqual([
      {
        v: 2,
        deliveryId: 'delivery-1',
        installationId: 99,
        repository: { id: 42, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
        requestedBy: 'alice',
        issue: { number: 7 },
        trigger: 'label',
      },
    ]);
    // Own file, then the org's .github defaults, then the permission.
    expect(gh.operations()).toEqual([
      'apps/create-installation-access-token',
      'repos/get-content',
      'repos/get-content',
      'repos/get-collaborator-permission-level',
    ]);
    expect(gh.requests.filter((r) => r.operationId === 'repos/get-content').map((r) => `${String(r.params['repo'])}:${String(r.params['path'])}`)).toEqual([
      'widgets:.github/swe-bot.yml',
      '.github:.github/swe-bot.yml',
    ]);
    gh.done();

    // The next request from the same sender is answered from the caches: no client, no GitHub call.
    await app.receive({ id: 'delivery-2', name: 'issues', payload: labeled('autofix', SENDER, 8) });
    expect(intake.recorded.fixes.map((fix) => fix.issue.number)).toEqual([7, 8]);
    expect(clientsMade()).toBe(1);
    expect(gh.requests).toHaveLength(4);
  });

  it('answers a failing handler with a rejection and logs it with the delivery id', async () => {
    const lines: string[] = [];
    const { app, intake } = setup(pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    intake.enqueueFix = () => Promise.reject(new Error('Redis is down'));
    await expect(app.receive({ id: 'delivery-9', name: 'issues', payload: labeled('autofix') })).rejects.toThrow('Redis is down');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'webhook handler failed');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 50, delivery: 'delivery-9', event: 'issues' });
    expect(String(logged[0]?.['err'])).toContain('Redis is down');
  });

  it('cannot call GitHub for an event without an installation, and says so', async () => {
    const { app, intake, clientsMade } = setup();
    const payload = { ...labeled('autofix'), installation: undefined };
    await expect(app.receive({ id: 'delivery-10', name: 'issues', payload })).rejects.toThrow('the issues event delivery-10 names no installation, so the app cannot call GitHub for it');
    expect(intake.recorded.fixes).toEqual([]);
    expect(clientsMade()).toBe(0);
    expect(gh.requests).toEqual([]);
  });

  it('ignores other labels, bots, and a redelivered webhook', async () => {
    const { app, intake } = setup();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', rawFile('fix:\n  label: please-fix\n'));
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'admin') });
    await app.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') });
    await app.receive({ id: 'd2', name: 'issues', payload: labeled('please-fix', { login: 'swe-bot[bot]', type: 'Bot' }) });
    expect(intake.recorded.fixes).toHaveLength(0);
    await app.receive({ id: 'd3', name: 'issues', payload: labeled('please-fix') });
    await app.receive({ id: 'd3', name: 'issues', payload: labeled('please-fix') });
    expect(intake.recorded.fixes.map((fix) => fix.deliveryId)).toEqual(['d3']);
    gh.done();
  });

  it('refuses a reader with one polite comment and queues nothing', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'read') });
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment() });
    await app.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') });
    expect(intake.recorded.fixes).toEqual([]);
    const comment = gh.requests.find((r) => r.operationId === 'issues/create-comment');
    expect(String((comment?.body as { body: string }).body)).toMatch(/^<!-- swe-bot:refused user=alice -->\n@alice, thanks for asking\. swe-bot drafts fixes only for people with \*\*write\*\* permission/);
    gh.done();
  });

  it('reports an invalid configuration on the issue with the exact error, and queues nothing', async () => {
    const { app, intake } = setup();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', rawFile('fix:\n  candidates: 99\n'));
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment() });
    await app.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') });
    expect(intake.recorded.fixes).toEqual([]);
    const body = String((gh.requests.find((r) => r.operationId === 'issues/create-comment')?.body as { body: string }).body);
    expect(body).toContain('<!-- swe-bot:config-error n=7 -->');
    expect(body).toContain('acme/widgets:.github/swe-bot.yml: fix.candidates: Too big: expected number to be <=16');
    gh.done();
  });

  it('takes /autofix and /autofix cancel comments on issues', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    const comment = (body: string, id: string, commentId = 5001) =>
      app.receive({
        id,
        name: 'issue_comment',
        payload: webhookExample('issue_comment', 'created', { repository: REPO, sender: SENDER, installation: { id: 99 }, issue: { number: 7, pull_request: undefined }, comment: { body, id: commentId } }),
      });
    await comment('/autofix', 'c1', 5001);
    await comment('/autofix cancel', 'c2', 5002);
    await comment('> /autofix\nquoted, not a request', 'c3', 5003);
    // The comment that asked rides along: the job's 👀 goes on it.
    expect(intake.recorded.fixes.map((fix) => [fix.deliveryId, fix.trigger, fix.issue.commentId])).toEqual([['c1', 'comment', 5001]]);
    expect(intake.recorded.cancels).toEqual(['fix-42-7']);
    gh.done();
  });
});

describe('review requests', () => {
  const pullPayload = (draft = false) =>
    webhookExample('pull_request', 'opened', {
      repository: REPO,
      sender: SENDER,
      installation: { id: 99 },
      pull_request: {
        number: 5,
        draft,
        head: { sha: 'a'.repeat(40), repo: { clone_url: 'https://github.com/alice/widgets.git' } },
        base: { sha: 'b'.repeat(40) },
      },
    });

  it('queues a review of a fork\'s head by its commit (the base repository serves it), and skips drafts', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    await app.receive({ id: 'p1', name: 'pull_request', payload: pullPayload() });
    await app.receive({ id: 'p2', name: 'pull_request', payload: pullPayload(true) });
    expect(intake.recorded.reviews).toEqual([
      {
        v: 2,
        deliveryId: 'p1',
        installationId: 99,
        repository: { id: 42, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
        requestedBy: 'alice',
        pullRequest: { number: 5, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40) },
        trigger: 'pull_request',
      },
    ]);
    gh.done();
  });

  it('reviews on /review, reading the pull request for its head', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: { ...collaboratorPermission('alice', 'write'), role_name: 'maintain' } });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      body: pullRequest({ number: 5, draft: false, head: { sha: 'c'.repeat(40) }, base: { sha: 'd'.repeat(40) } }),
    });
    await app.receive({
      id: 'r1',
      name: 'issue_comment',
      payload: webhookExample('issue_comment', 'created', {
        repository: REPO,
        sender: SENDER,
        installation: { id: 99 },
        issue: { number: 5, pull_request: { url: 'https://api.github.com/repos/acme/widgets/pulls/5' } },
        comment: { body: '/review' },
      }),
    });
    expect(intake.recorded.reviews.map((r) => [r.pullRequest.headSha, r.trigger])).toEqual([['c'.repeat(40), 'comment']]);
    gh.done();
  });
});
