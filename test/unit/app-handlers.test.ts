/**
 * The webhook handlers against the mocked GitHub (every request checked
 * against the OpenAPI description) and a recording job intake: what gets
 * queued, what is refused, and which GitHub calls each path makes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Probot } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type JobIntake } from '../../src/app/app.ts';
import { parseCommand } from '../../src/app/commands.ts';
import type { FixJobData, ReviewJobData } from '../../src/queue/job-data.ts';
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
  return {
    recorded,
    enqueueFix: (data) => {
      recorded.fixes.push(data);
      return Promise.resolve({ jobId: `fix-${data.repository.id}-${data.issue.number}`, status: 'queued' });
    },
    enqueueReview: (data) => {
      recorded.reviews.push(data);
      return Promise.resolve({ jobId: `review-${data.pullRequest.number}`, status: 'queued' });
    },
    cancel: (_kind, jobId) => {
      recorded.cancels.push(jobId);
      return Promise.resolve('removed');
    },
    seenDelivery: (id) => {
      const seen = recorded.deliveries.has(id);
      recorded.deliveries.add(id);
      return Promise.resolve(seen);
    },
  };
}

let gh: MockGitHub;
afterEach(() => gh.close());

function setup(): { probot: Probot; intake: ReturnType<typeof recordingIntake> } {
  gh = mockGitHub();
  const intake = recordingIntake();
  const probot = new Probot({ appId: 1, privateKey, secret: 's', baseUrl: gh.baseUrl, log: pino({ level: 'silent' }), Octokit: TestOctokit });
  void probot.load(createApp({ intake, logger: pino({ level: 'silent' }), appSlug: () => Promise.resolve('swe-bot') }));
  return { probot, intake };
}

/** The contents API answers the raw media type the app asks for with the file's bytes. */
const rawFile = (text: string) => ({ body: text, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } });

const noConfig = (): void => {
  gh.on('GET /repos/{owner}/{repo}/contents/{path}', { status: 404, body: { message: 'Not Found' } }, { times: 2 });
};

const labeled = (label: string, sender: { login: string; type: 'User' | 'Bot' } = SENDER) =>
  webhookExample('issues', 'labeled', { repository: REPO, sender, label: { name: label }, issue: { number: 7 }, installation: { id: 99 } });

describe('fix requests', () => {
  it('queues a fix for the autofix label from a writer, with ids and refs only', async () => {
    const { probot, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    await probot.receive({ id: 'delivery-1', name: 'issues', payload: labeled('autofix') } as never);
    expect(intake.recorded.fixes).toEqual([
      {
        v: 1,
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
  });

  it('ignores other labels, bots, and a redelivered webhook', async () => {
    const { probot, intake } = setup();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', rawFile('fix:\n  label: please-fix\n'));
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'admin') });
    await probot.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') } as never);
    await probot.receive({ id: 'd2', name: 'issues', payload: labeled('please-fix', { login: 'swe-bot[bot]', type: 'Bot' }) } as never);
    expect(intake.recorded.fixes).toHaveLength(0);
    await probot.receive({ id: 'd3', name: 'issues', payload: labeled('please-fix') } as never);
    await probot.receive({ id: 'd3', name: 'issues', payload: labeled('please-fix') } as never);
    expect(intake.recorded.fixes.map((fix) => fix.deliveryId)).toEqual(['d3']);
    gh.done();
  });

  it('refuses a reader with one polite comment and queues nothing', async () => {
    const { probot, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'read') });
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment() });
    await probot.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') } as never);
    expect(intake.recorded.fixes).toEqual([]);
    const comment = gh.requests.find((r) => r.operationId === 'issues/create-comment');
    expect(String((comment?.body as { body: string }).body)).toMatch(/^<!-- swe-bot:refused user=alice -->\n@alice, thanks for asking\. swe-bot drafts fixes only for people with \*\*write\*\* permission/);
    gh.done();
  });

  it('reports an invalid configuration on the issue with the exact error, and queues nothing', async () => {
    const { probot, intake } = setup();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', rawFile('fix:\n  candidates: 99\n'));
    gh.on('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { body: [] });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment() });
    await probot.receive({ id: 'd1', name: 'issues', payload: labeled('autofix') } as never);
    expect(intake.recorded.fixes).toEqual([]);
    const body = String((gh.requests.find((r) => r.operationId === 'issues/create-comment')?.body as { body: string }).body);
    expect(body).toContain('<!-- swe-bot:config-error n=7 -->');
    expect(body).toContain('acme/widgets:.github/swe-bot.yml: fix.candidates: Too big: expected number to be <=16');
    gh.done();
  });

  it('takes /autofix and /autofix cancel comments on issues', async () => {
    const { probot, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    const comment = (body: string, id: string) =>
      probot.receive({
        id,
        name: 'issue_comment',
        payload: webhookExample('issue_comment', 'created', { repository: REPO, sender: SENDER, installation: { id: 99 }, issue: { number: 7, pull_request: undefined }, comment: { body } }),
      } as never);
    await comment('/autofix', 'c1');
    await comment('/autofix cancel', 'c2');
    await comment('> /autofix\nquoted, not a request', 'c3');
    expect(intake.recorded.fixes.map((fix) => [fix.deliveryId, fix.trigger])).toEqual([['c1', 'comment']]);
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

  it('queues a review of the head with its fork clone URL, and skips drafts', async () => {
    const { probot, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    await probot.receive({ id: 'p1', name: 'pull_request', payload: pullPayload() } as never);
    await probot.receive({ id: 'p2', name: 'pull_request', payload: pullPayload(true) } as never);
    expect(intake.recorded.reviews).toEqual([
      {
        v: 1,
        deliveryId: 'p1',
        installationId: 99,
        repository: { id: 42, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
        requestedBy: 'alice',
        pullRequest: { number: 5, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40), headCloneUrl: 'https://github.com/alice/widgets.git', draft: false },
        trigger: 'pull_request',
      },
    ]);
    gh.done();
  });

  it('reviews on /review, reading the pull request for its head', async () => {
    const { probot, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: { ...collaboratorPermission('alice', 'write'), role_name: 'maintain' } });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      body: pullRequest({ number: 5, draft: false, head: { sha: 'c'.repeat(40) }, base: { sha: 'd'.repeat(40) } }),
    });
    await probot.receive({
      id: 'r1',
      name: 'issue_comment',
      payload: webhookExample('issue_comment', 'created', {
        repository: REPO,
        sender: SENDER,
        installation: { id: 99 },
        issue: { number: 5, pull_request: { url: 'https://api.github.com/repos/acme/widgets/pulls/5' } },
        comment: { body: '/review' },
      }),
    } as never);
    expect(intake.recorded.reviews.map((r) => [r.pullRequest.headSha, r.trigger])).toEqual([['c'.repeat(40), 'comment']]);
    gh.done();
  });
});

describe('parseCommand', () => {
  it('reads the first line only', () => {
    expect(parseCommand('  /autofix  \nplease')).toBe('autofix');
    expect(parseCommand('/AUTOFIX cancel')).toBe('autofix-cancel');
    expect(parseCommand('/autofix now')).toBeUndefined();
    expect(parseCommand('\n\n/review')).toBe('review');
    expect(parseCommand('please /review')).toBeUndefined();
    expect(parseCommand(null)).toBeUndefined();
  });
});
