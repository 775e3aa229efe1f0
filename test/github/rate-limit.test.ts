import { generateKeyPairSync } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import { errorKind } from '../../src/error-kind.ts';
import { AppOctokit } from '../../src/github/app-octokit.ts';
import { createRateLimitRegistry, rateLimitWait, withRateLimits, type RateLimitOptions, type RateLimitRegistry } from '../../src/github/rate-limit.ts';
import { GitHubTransientError } from '../../src/github/transient-error.ts';
import { silentLogger } from '../../src/logger.ts';
import { issueComment, mockGitHub, pullRequest, reaction, replies, type GitHubReply, type MockGitHub } from '../helpers/github-api.ts';

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const target = { owner: 'acme', repo: 'widgets' };

interface Span { start: number; end: number }

/** A handler that takes `ms` to answer and records when it ran. */
function slow(spans: Span[], ms: number, reply: GitHubReply): () => Promise<GitHubReply> {
  return async () => {
    const start = performance.now();
    await sleep(ms);
    spans.push({ start, end: performance.now() });
    return reply;
  };
}

describe('withRateLimits', () => {
  let gh: MockGitHub;
  let registry: RateLimitRegistry;
  afterEach(() => gh.close());

  const client = (options: Partial<RateLimitOptions> = {}): Octokit =>
    withRateLimits(new Octokit({ baseUrl: gh.baseUrl, auth: gh.token, log: silent }), {
      key: 42, logger: silentLogger(), registry, writeSpacingMs: 0, serverErrorBackoffMs: 10, ...options,
    });
  const getPull = (octokit: Octokit, n = 1) => octokit.rest.pulls.get({ ...target, pull_number: n });
  const comment = (octokit: Octokit) => octokit.rest.issues.createComment({ ...target, issue_number: 1, body: 'hi' });

  it('runs requests of one key one at a time, even from two clients', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    const spans: Span[] = [];
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', slow(spans, 100, { body: pullRequest() }), { times: 3 });
    const [a, b] = [client(), client()];
    await Promise.all([getPull(a, 1), getPull(b, 2), getPull(a, 3)]);
    spans.sort((x, y) => x.start - y.start);
    expect(spans).toHaveLength(3);
    expect(spans[1]!.start).toBeGreaterThanOrEqual(spans[0]!.end);
    expect(spans[2]!.start).toBeGreaterThanOrEqual(spans[1]!.end);
    // Order of calls is kept.
    expect(gh.requests.map((r) => r.params.pull_number)).toEqual([1, 2, 3]);
    gh.done();
  });

  it('runs requests of different keys in parallel', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    const spans: Span[] = [];
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', slow(spans, 150, { body: pullRequest() }), { times: 2 });
    const started = performance.now();
    await Promise.all([getPull(client({ key: 1 })), getPull(client({ key: 2 }))]);
    spans.sort((x, y) => x.start - y.start);
    expect(spans[1]!.start).toBeLessThan(spans[0]!.end);
    expect(performance.now() - started).toBeLessThan(290);
    gh.done();
  });

  it('spaces writes of one key, not reads', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    const writes: Span[] = [];
    const reads: Span[] = [];
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', slow(writes, 5, { status: 201, body: issueComment() }), { times: 3 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', slow(reads, 5, { body: pullRequest() }), { times: 2 });
    const octokit = client({ writeSpacingMs: 150 });
    await Promise.all([comment(octokit), comment(octokit), comment(octokit)]);
    await Promise.all([getPull(octokit), getPull(octokit)]);
    // The answer leaves the handler a moment before the client sees it end: allow 10 ms of that.
    expect(writes[1]!.start - writes[0]!.end).toBeGreaterThanOrEqual(140);
    expect(writes[2]!.start - writes[1]!.end).toBeGreaterThanOrEqual(140);
    expect(reads[0]!.start - writes[2]!.end).toBeLessThan(100);
    expect(reads[1]!.start - reads[0]!.end).toBeLessThan(100);
    gh.done();
  });

  it('retries a secondary rate limit after retry-after seconds', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    const times: number[] = [];
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', () => { times.push(performance.now()); return replies.secondaryRateLimit(1); }, { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', () => { times.push(performance.now()); return { body: pullRequest({ number: 5 }) }; });
    const { data } = await getPull(client(), 5);
    expect(data.number).toBe(5);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200]);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
    expect(times[1]! - times[0]!).toBeLessThan(1500);
    gh.done();
  });

  it('recognises a secondary limit by its message when retry-after is missing (and waits a minute, capped here)', () => {
    const failure = { status: 403, message: 'You have exceeded a secondary rate limit', headers: {}, data: {} };
    expect(rateLimitWait(failure)).toEqual({ kind: 'secondary', waitMs: 60_000 });
    expect(rateLimitWait(failure, 1)).toEqual({ kind: 'secondary', waitMs: 120_000 });
    expect(rateLimitWait({ status: 429, message: 'Too Many Requests', headers: { 'retry-after': '3' }, data: {} })).toEqual({ kind: 'secondary', waitMs: 3000 });
    expect(rateLimitWait({ status: 403, message: 'Resource not accessible by integration', headers: { 'x-ratelimit-remaining': '10' }, data: {} })).toBeUndefined();
    expect(rateLimitWait({ status: 500, message: 'x', headers: { 'retry-after': '1' }, data: {} })).toBeUndefined();
  });

  it('waits for the reset of an exhausted primary limit', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    // Reset "now" (whole seconds): the wait is under the one-second margin added after a reset.
    const reset = String(Math.floor(Date.now() / 1000));
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.error(403, 'API rate limit exceeded for installation.', {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset }), { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest() });
    await getPull(client());
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200]);
    gh.done();
  });

  it('retries server errors with backoff: 500, 500, then 200 succeeds', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.serverError(), { times: 2 });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment({ id: 9 }) });
    const { data } = await comment(client());
    expect(data.id).toBe(9);
    expect(gh.requests.map((r) => r.status)).toEqual([500, 500, 201]);
    gh.done();
  });

  it('gives up on server errors after maxRetries with a transient error', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.error(502, 'Bad Gateway'));
    const error = await getPull(client({ maxRetries: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubTransientError);
    expect(error).toMatchObject({ kind: 'transient', code: 'github_unavailable', status: 502 });
    expect(gh.requests).toHaveLength(3);
  });

  it('fails fast, as transient, when retry-after is beyond the cap, and holds back the key meanwhile', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.secondaryRateLimit(120), { times: 1 });
    const octokit = client({ maxRetryAfterMs: 60_000 });
    const started = performance.now();
    const error = await comment(octokit).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(GitHubTransientError);
    expect(errorKind(error)).toBe('transient');
    expect(error).toMatchObject({ code: 'github_rate_limited', status: 403, retryAfterMs: 120_000 });
    expect((error as Error).message).toMatch(/secondary rate limit .*retry in 120 s/);
    // The next request of the installation does not reach GitHub.
    await expect(getPull(client())).rejects.toMatchObject({ code: 'github_rate_limited' });
    expect(gh.requests).toHaveLength(1);
    // Other installations are not held back.
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest() });
    await getPull(client({ key: 43 }));
    gh.done();
  });

  it('after a success that spent the quota, holds the key back until the reset', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    const reset = String(Math.floor(Date.now() / 1000) + 600);
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest(), headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } });
    const octokit = client();
    await getPull(octokit);
    await expect(getPull(octokit)).rejects.toMatchObject({ kind: 'transient', code: 'github_rate_limited' });
    expect(gh.requests).toHaveLength(1);
    gh.done();
  });

  it('passes other errors through unchanged and untried again', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.notFound());
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.error(403, 'Resource not accessible by integration'));
    await expect(getPull(client())).rejects.toMatchObject({ status: 404, name: 'HttpError' });
    await expect(comment(client())).rejects.toMatchObject({ status: 403, name: 'HttpError' });
    expect(gh.requests).toHaveLength(2);
  });

  it('a failed request does not stall the queue of its key', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.notFound(), { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 2 }) });
    const octokit = client();
    const [first, second] = await Promise.allSettled([getPull(octokit, 1), getPull(octokit, 2)]);
    expect(first.status).toBe('rejected');
    expect(second).toMatchObject({ status: 'fulfilled', value: { data: { number: 2 } } });
  });

  it('wrapping twice adds nothing', async () => {
    gh = mockGitHub();
    registry = createRateLimitRegistry();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.serverError(), { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest() });
    const octokit = client({ maxRetries: 1 });
    withRateLimits(octokit, { key: 42, logger: silentLogger(), registry, maxRetries: 1 });
    await getPull(octokit);
    expect(gh.requests).toHaveLength(2);
  });
});

describe('withRateLimits on Probot installation clients', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  let gh: MockGitHub;
  afterEach(() => gh.close());

  const probot = (Octokit: typeof ProbotOctokit): Probot => new Probot({ appId: 1, privateKey, baseUrl: gh.baseUrl, log: pino({ level: 'silent' }), Octokit });
  const installationClient = async (bot: Probot, options: Partial<RateLimitOptions> = {}) =>
    withRateLimits(await bot.auth(42), { key: 42, logger: silentLogger(), registry: createRateLimitRegistry(), writeSpacingMs: 50, serverErrorBackoffMs: 10, ...options });

  it('AppOctokit turns Probot’s 1 s write spacing off: our spacing applies', async () => {
    gh = mockGitHub();
    const times: number[] = [];
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', () => { times.push(performance.now()); return { status: 201, body: issueComment() }; }, { times: 3 });
    const octokit = await installationClient(probot(AppOctokit));
    for (let i = 0; i < 3; i++) await octokit.rest.issues.createComment({ ...target, issue_number: 1, body: `${i}` });
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    expect(times[2]! - times[0]!).toBeLessThan(800);
    expect(gh.operations()).toEqual(['apps/create-installation-access-token', 'issues/create-comment', 'issues/create-comment', 'issues/create-comment']);
    expect(gh.requests[1]?.headers.authorization).toBe(`token ${gh.token}`);
    gh.done();
  });

  it('static ProbotOctokit.defaults({ throttle: { enabled: false } }) does not: Probot’s throttling still spaces writes 1 s', async () => {
    gh = mockGitHub();
    const times: number[] = [];
    // Reactions: a write that does not also go through plugin-throttling's 3 s "notifications" queue.
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/reactions', () => { times.push(performance.now()); return { status: 201, body: reaction() }; }, { times: 2 });
    const Static = ProbotOctokit.defaults({ throttle: { enabled: false } });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest() });
    const octokit = await probot(Static).auth(42);
    await octokit.rest.pulls.get({ ...target, pull_number: 1 }); // the installation token first, so it does not delay the first write
    await octokit.rest.reactions.createForIssue({ ...target, issue_number: 1, content: 'eyes' });
    await octokit.rest.reactions.createForIssue({ ...target, issue_number: 2, content: 'eyes' });
    // Bottleneck's minTime is 1000 ms between job starts; a loaded machine blurs the arrival times a little.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(700);
    gh.done();
  });

  it('retries a secondary rate limit that Probot’s own handler would give up on', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.secondaryRateLimit(1), { times: 1 });
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', { body: pullRequest({ number: 5 }) });
    const octokit = await installationClient(probot(AppOctokit));
    const { data } = await octokit.rest.pulls.get({ ...target, pull_number: 5 });
    expect(data.number).toBe(5);
    expect(gh.requests.map((r) => r.status)).toEqual([201, 403, 200]);
    gh.done();
  });

  it('retries server errors once over: plugin-retry is off, so 500, 500, 200 is three requests', async () => {
    gh = mockGitHub();
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', replies.serverError(), { times: 2 });
    gh.on('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { status: 201, body: issueComment({ id: 3 }) });
    const octokit = await installationClient(probot(AppOctokit));
    const { data } = await octokit.rest.issues.createComment({ ...target, issue_number: 1, body: 'x' });
    expect(data.id).toBe(3);
    expect(gh.requests.map((r) => r.status)).toEqual([201, 500, 500, 201]);
    gh.done();
  });

  it('gives up after maxRetries: 500 four times is four requests, not sixteen', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/pulls/{pull_number}', replies.serverError());
    const octokit = await installationClient(probot(AppOctokit));
    await expect(octokit.rest.pulls.get({ ...target, pull_number: 5 })).rejects.toMatchObject({ code: 'github_unavailable' });
    expect(gh.operations().filter((op) => op === 'pulls/get')).toHaveLength(4);
  });
});
