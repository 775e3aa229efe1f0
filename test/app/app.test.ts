/**
 * The webhook handlers against the mocked GitHub (every request checked
 * against the OpenAPI description) and a recording job intake: what gets
 * queued, what is refused, and which GitHub calls each path makes.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
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
    cloneOrigin: 'https://github.com',
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
    const [title, body] = ['Spelling error in the README file', "It looks like you accidently spelled 'commit' with two 't's."];
    expect(intake.recorded.fixes).toEqual([
      {
        v: 3,
        deliveryId: 'delivery-1',
        installationId: 99,
        repository: { id: 42, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
        requestedBy: 'alice',
        issue: { number: 7 },
        trigger: 'label',
        // The issue's text as the payload carried it when alice asked, and its hash.
        text: { title, body, sha256: createHash('sha256').update(JSON.stringify([title, body])).digest('hex'), cut: false },
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
    await comment('/autofix\nThe bug is in parse().', 'c1', 5001);
    await comment('/autofix cancel', 'c2', 5002);
    await comment('> /autofix\nquoted, not a request', 'c3', 5003);
    // The comment that asked rides along: the job's 👀 goes on it, and its text is recorded with the issue's.
    expect(intake.recorded.fixes.map((fix) => [fix.deliveryId, fix.trigger, fix.issue.commentId])).toEqual([['c1', 'comment', 5001]]);
    expect(intake.recorded.fixes[0]?.text).toMatchObject({ title: 'Spelling error in the README file', comment: { body: '/autofix\nThe bug is in parse().', cut: false } });
    expect(intake.recorded.cancels).toEqual(['fix-42-7']);
    gh.done();
  });
});

describe('payloads that cannot be trusted', () => {
  const BAD_REPOSITORIES: Record<string, unknown>[] = [
    { clone_url: 'file:///etc' },
    { clone_url: 'https://evil.example/acme/widgets.git' },
    { clone_url: '--upload-pack=touch /tmp/pwned' },
    { clone_url: 'https://github.com/acme/private-secrets.git' },
    { default_branch: '--upload-pack=touch /tmp/pwned' },
    { default_branch: 'main\n--force' },
    { default_branch: 'a..b' },
    { full_name: 'acme/private-secrets' },
    { name: '../x', full_name: 'acme/../x', clone_url: 'https://github.com/acme/../x.git' },
  ];

  it('refuses a delivery whose repository fields are not what GitHub sends for the configured host, with a log line, and queues nothing', async () => {
    const lines: string[] = [];
    const { app, intake, clientsMade } = setup(pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }));
    for (const [index, patch] of BAD_REPOSITORIES.entries()) {
      const payload = webhookExample('issues', 'labeled', { repository: { ...REPO, ...patch }, sender: SENDER, label: { name: 'autofix' }, issue: { number: 7 }, installation: { id: 99 } });
      await app.receive({ id: `bad-${index}`, name: 'issues', payload });
      const pull = webhookExample('pull_request', 'opened', {
        repository: { ...REPO, ...patch },
        sender: SENDER,
        installation: { id: 99 },
        pull_request: { number: 5, draft: false, head: { sha: 'a'.repeat(40) }, base: { sha: 'b'.repeat(40) } },
      });
      await app.receive({ id: `bad-pull-${index}`, name: 'pull_request', payload: pull });
    }
    expect(intake.recorded.fixes).toEqual([]);
    expect(intake.recorded.reviews).toEqual([]);
    // Refused before any handler ran: no client, no GitHub call.
    expect(clientsMade()).toBe(0);
    expect(gh.requests).toEqual([]);
    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['msg'] === 'webhook refused: its repository fields cannot be trusted; nothing done');
    expect(refused).toHaveLength(BAD_REPOSITORIES.length * 2);
    expect(refused[0]).toMatchObject({ level: 40, delivery: 'bad-0', event: 'issues' });
    expect(String(refused[0]?.['problem'])).toContain('repository.clone_url "file:///etc" is not "https://github.com/acme/widgets.git"');
  });

  it('puts only the configured host\'s clone URL and a valid branch into job data (fuzzed deliveries)', async () => {
    const { app, intake } = setup();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', { status: 404, body: { message: 'Not Found' } }, { optional: true });
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') }, { optional: true });
    let seed = 99;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pieces = ['main', 'https://github.com/', 'acme/widgets', '.git', 'file:///', '--upload-pack=x', '..', ' ', '\n', '-', 'evil.example/', '@', ':'];
    const fuzz = (): string => Array.from({ length: 1 + Math.floor(next() * 4) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    for (let i = 0; i < 200; i += 1) {
      const patch = { clone_url: next() < 0.5 ? REPO.clone_url : fuzz(), default_branch: next() < 0.5 ? 'main' : fuzz() };
      const payload = webhookExample('issues', 'labeled', { repository: { ...REPO, ...patch }, sender: SENDER, label: { name: 'autofix' }, issue: { number: 1 + i }, installation: { id: 99 } });
      await app.receive({ id: `fuzz-${i}`, name: 'issues', payload });
    }
    expect(intake.recorded.fixes.length).toBeGreaterThan(10);
    for (const fix of intake.recorded.fixes) {
      expect(fix.repository.cloneUrl).toBe('https://github.com/acme/widgets.git');
      expect(fix.repository.defaultBranch).not.toMatch(/^-|\.\.|[\s:]/);
      expect(spawnSync('git', ['check-ref-format', '--branch', fix.repository.defaultBranch]).status, fix.repository.defaultBranch).toBe(0);
    }
  });
});

describe('review requests', () => {
  /** A head in another repository than the base, as GitHub sends a fork's pull request. */
  const FORK_HEAD = { id: 777, name: 'widgets', full_name: 'mallory/widgets', clone_url: 'https://github.com/mallory/widgets.git', fork: true };
  const pullPayload = (draft = false) =>
    webhookExample('pull_request', 'opened', {
      repository: REPO,
      sender: SENDER,
      installation: { id: 99 },
      pull_request: { number: 5, draft, head: { sha: 'a'.repeat(40) }, base: { sha: 'b'.repeat(40) } },
    });

  it('queues a review of a pull request from the repository itself by its head commit, with its text; skips drafts', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    await app.receive({ id: 'p1', name: 'pull_request', payload: pullPayload() });
    await app.receive({ id: 'p2', name: 'pull_request', payload: pullPayload(true) });
    const [title, body] = ['Update the README with new information.', 'This is a pretty simple change that we need to pull into master.'];
    expect(intake.recorded.reviews).toEqual([
      {
        v: 3,
        deliveryId: 'p1',
        installationId: 99,
        repository: { id: 42, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
        requestedBy: 'alice',
        pullRequest: { number: 5, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40) },
        trigger: 'pull_request',
        text: { title, body, sha256: createHash('sha256').update(JSON.stringify([title, body])).digest('hex'), cut: false },
      },
    ]);
    gh.done();
  });

  it('does not review a fork\'s pull request on its own: opened, pushed, reopened, ready, or its fork deleted; nothing asked of GitHub, nothing posted', async () => {
    const { app, intake, clientsMade } = setup();
    const actions = ['opened', 'synchronize', 'reopened', 'ready_for_review'] as const;
    for (const action of actions) {
      const payload = webhookExample('pull_request', action, {
        repository: REPO,
        sender: SENDER,
        installation: { id: 99 },
        pull_request: { number: 5, draft: false, head: { sha: 'a'.repeat(40), repo: FORK_HEAD }, base: { sha: 'b'.repeat(40) } },
      });
      await app.receive({ id: `fork-${action}`, name: 'pull_request', payload });
    }
    const deleted = webhookExample('pull_request', 'synchronize', {
      repository: REPO,
      sender: SENDER,
      installation: { id: 99 },
      pull_request: { number: 5, draft: false, head: { sha: 'a'.repeat(40), repo: null }, base: { sha: 'b'.repeat(40) } },
    } as never);
    await app.receive({ id: 'fork-deleted', name: 'pull_request', payload: deleted });
    expect(intake.recorded.reviews).toEqual([]);
    expect(clientsMade()).toBe(0);
    expect(gh.requests).toEqual([]);
  });

  it('reviews a fork\'s pull request when a maintainer comments /review, recording the text that comment saw', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      body: pullRequest({ number: 5, draft: false, head: { sha: 'c'.repeat(40), repo: { id: 777, full_name: 'mallory/widgets', fork: true } }, base: { sha: 'd'.repeat(40) } }),
    });
    await app.receive({
      id: 'fork-review',
      name: 'issue_comment',
      payload: webhookExample('issue_comment', 'created', {
        repository: REPO,
        sender: SENDER,
        installation: { id: 99 },
        issue: { number: 5, title: 'Faster parser', body: 'Rewrites parse().', pull_request: { url: 'https://api.github.com/repos/acme/widgets/pulls/5' } },
        comment: { body: '/review\nMind the error handling.' },
      }),
    });
    expect(intake.recorded.reviews).toHaveLength(1);
    expect(intake.recorded.reviews[0]).toMatchObject({
      pullRequest: { number: 5, headSha: 'c'.repeat(40), baseSha: 'd'.repeat(40) },
      trigger: 'comment',
      requestedBy: 'alice',
      text: { title: 'Faster parser', body: 'Rewrites parse().', cut: false, comment: { body: '/review\nMind the error handling.', cut: false } },
    });
    gh.done();
  });

  it('a re-run of the check run reviews a pull request from the repository itself, not a fork\'s (whose head may be new)', async () => {
    const { app, intake } = setup();
    noConfig();
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    const own = pullRequest({ number: 5, draft: false, head: { sha: 'e'.repeat(40) }, base: { sha: 'f'.repeat(40) } });
    const fork = pullRequest({ number: 5, draft: false, head: { sha: '1'.repeat(40), repo: { id: 777, full_name: 'mallory/widgets', fork: true } }, base: { sha: 'f'.repeat(40) } });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: fork }, { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: own }, { times: 1 });
    const rerun = (id: string) =>
      app.receive({
        id,
        name: 'check_run',
        payload: webhookExample('check_run', 'rerequested', { repository: REPO, sender: SENDER, installation: { id: 99 }, check_run: { external_id: 'review:5', app: { slug: 'swe-bot' } } }),
      });
    await rerun('rerun-fork');
    expect(intake.recorded.reviews).toEqual([]);
    await rerun('rerun-own');
    expect(intake.recorded.reviews).toMatchObject([{ trigger: 'rerequest', pullRequest: { headSha: 'e'.repeat(40) }, text: { title: own.title, cut: false } }]);
    // Nothing was posted about the skipped fork.
    expect(gh.requests.filter((request) => request.method !== 'GET' && request.operationId !== 'apps/create-installation-access-token')).toEqual([]);
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
