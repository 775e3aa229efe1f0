/**
 * The App when things go wrong, end to end (issue #5):
 * (a) GitHub answers 500 once and a secondary rate limit once in the middle
 *     of a fix: both requests are retried (after `retry-after`) and the
 *     flow still ends in one pull request;
 * (b) `/autofix cancel` while the model is thinking: the model request is
 *     aborted, the job ends cancelled (check run `cancelled`), is not
 *     retried, and no container of it remains;
 * (c) a worker process killed with SIGKILL mid-job: `swe-bot serve --role
 *     worker` runs as a child process against the GitHub mock's HTTP face
 *     (nock cannot reach into another process); after the kill a second
 *     worker process takes the job over once its lock expires, removes what
 *     the dead one left in Docker, and the issue gets exactly one pull request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { jobId } from '../../src/queue/job-data.ts';
import { createDockerClient } from '../../src/sandbox/docker-client.ts';
import { mockGitHub, replies, webhookExample, type GitHubRequest, type MockGitHub, type MockGitHubOptions } from '../helpers/github-api.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';
import { deleteKeys, randomPrefix } from '../helpers/service-fixture.ts';
import { fakeGitHub, type FakeGitHub } from '../helpers/app-github.ts';
import { HANDLER_READS, PUBLISH_NEW_PULL_REQUEST, withoutProgressEdits } from '../helpers/app-github-calls.ts';
import { byStep, FIX_STEPS, type ModelGate, startModelGate } from '../helpers/app-model.ts';
import { commitBug, ISSUE, REPO_ID, type ServedRepo, serveRepo } from '../helpers/app-repo.ts';
import {
  appEnv,
  type AppService,
  beforeJobSettles,
  deliver,
  installation,
  jobContainers,
  labeledIssue,
  payloadRepository,
  sender,
  settledJob,
  startApp,
  waitFor,
} from '../helpers/app-service.ts';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'swe-bot.js');

interface World {
  gh: MockGitHub;
  served: ServedRepo;
  model: ScriptedModel;
  gate: ModelGate;
  fake: FakeGitHub;
  docker: Docker;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The repository with the bug, the scripted fix behind a gate, a fake GitHub; `before` declares handlers that go first. */
async function world(issue: number, options: { github?: MockGitHubOptions; before?: (gh: MockGitHub) => void } = {}): Promise<World> {
  const gh = mockGitHub(options.github);
  cleanups.push(() => gh.close());
  const served = await serveRepo(gh.token, commitBug);
  cleanups.push(() => served.close());
  const model = await startScriptedModel({ replies: byStep(FIX_STEPS, 80) });
  cleanups.push(() => model.close());
  const gate = await startModelGate(model.url);
  cleanups.push(() => gate.close());
  options.before?.(gh);
  const fake = fakeGitHub(gh, {
    config: 'fix:\n  max_iterations: 6\n',
    issues: { [issue]: ISSUE },
    defaultBranchSha: served.base,
    baseTreeSha: served.rev('HEAD^{tree}'),
  });
  return { gh, served, model, gate, fake, docker: createDockerClient(process.env.DOCKER_HOST) };
}

async function app(w: World, options: Parameters<typeof startApp>[0] = {}): Promise<AppService> {
  const started = await startApp({ cloneOrigin: w.served.git.origin, ...options, env: { OPENAI_BASE_URL: w.gate.url, ...options.env } });
  cleanups.push(() => started.stop());
  return started;
}

const labeled = (w: World, issue: number) => labeledIssue(w.served.cloneUrl, issue);

const statuses = (requests: GitHubRequest[], operationId: string): number[] => requests.filter((r) => r.operationId === operationId).map((r) => r.status);

describe('GitHub failing for a moment', () => {
  it('retries a 500 and a secondary rate limit in the middle of a fix, and still opens one pull request', async () => {
    const issue = 21;
    const sent: Record<string, number[]> = { tree: [], pulls: [] };
    const w = await world(issue, {
      before: (gh) => {
        // Records when each of these requests came (a handler that never matches answers nothing).
        gh.on('git/create-tree', undefined, { optional: true, match: () => (sent.tree!.push(Date.now()), false) });
        gh.on('pulls/create', undefined, { optional: true, match: () => (sent.pulls!.push(Date.now()), false) });
        gh.on('git/create-tree', replies.serverError(), { times: 1 });
        gh.on('pulls/create', replies.secondaryRateLimit(1), { times: 1 });
      },
    });
    const { service, webhookUrl } = await app(w);
    await deliver(webhookUrl, 'issues', labeled(w, issue));
    const job = await settledJob(service.queues!.queues.fix, jobId.fix(REPO_ID, issue));
    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(job.returnvalue).toMatchObject({ verdict: 'verified', pullRequest: { number: 100, created: true } });
    // The job itself ran once: the requests were retried, not the job.
    expect(job.attemptsMade).toBe(1);

    const { operations } = withoutProgressEdits(w.gh.requests);
    expect(operations.slice(operations.indexOf('git/get-commit'))).toEqual([
      'git/get-commit',
      'git/create-blob',
      'git/create-blob',
      'git/create-tree', // 500
      'git/create-tree',
      'git/create-commit',
      'git/get-ref',
      'git/create-ref',
      'pulls/list',
      'pulls/create', // 403, secondary rate limit, retry-after: 1
      'pulls/create',
      'issues/update-comment',
      'checks/update',
    ]);
    expect(statuses(w.gh.requests, 'git/create-tree')).toEqual([500, 201]);
    expect(statuses(w.gh.requests, 'pulls/create')).toEqual([403, 201]);
    // A second after the 500 (the first backoff step), and after the second `retry-after` asked for.
    expect(sent.tree![1]! - sent.tree![0]!).toBeGreaterThanOrEqual(900);
    expect(sent.pulls![1]! - sent.pulls![0]!).toBeGreaterThanOrEqual(950);
    w.gh.done();
    expect(w.fake.pulls).toHaveLength(1);
    expect(w.fake.checkRuns.map((run) => run.conclusion)).toEqual(['success']);
  });
});

describe('/autofix cancel', () => {
  it('stops the running job: the model request is aborted, the check run cancelled, no retry, no container left', async () => {
    const issue = 22;
    const w = await world(issue);
    const { service, webhookUrl } = await app(w);
    const id = jobId.fix(REPO_ID, issue);
    const held = w.gate.holdNext();
    await deliver(webhookUrl, 'issues', labeled(w, issue));
    // The agent asked the model for its first step, which does not come: the job is mid-run, with containers.
    await beforeJobSettles(held, service.queues!.queues.fix, id, 'the agent to ask the model');
    expect(await service.queues!.queues.fix.getJobState(id)).toBe('active');
    expect((await jobContainers(w.docker, id)).length).toBeGreaterThan(0);

    const cancel = webhookExample('issue_comment', 'created', {
      repository: payloadRepository(w.served.cloneUrl),
      sender: sender(),
      issue: { number: issue, title: ISSUE.title, body: ISSUE.body, pull_request: undefined },
      comment: { body: '/autofix cancel', user: sender() },
      installation,
    });
    const cancelledAt = Date.now();
    await deliver(webhookUrl, 'issue_comment', cancel);
    const job = await settledJob(service.queues!.queues.fix, id, 60_000);
    expect(Date.now() - cancelledAt).toBeLessThan(30_000);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('cancelled on request');
    expect(job.attemptsMade).toBe(1);
    // The model request was given up, not answered.
    await waitFor('the held model request to be abandoned', () => w.gate.abandoned === 1, 5_000);
    expect(await jobContainers(w.docker, id)).toEqual([]);

    expect(w.fake.checkRuns).toHaveLength(1);
    expect(w.fake.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'cancelled', output: { title: 'Cancelled', summary: 'Stopped: cancelled on request' } });
    expect(w.fake.comments).toHaveLength(1);
    expect(w.fake.comments[0]?.body).toContain('⏹️ **Cancelled**');
    const { operations } = withoutProgressEdits(w.gh.requests);
    // After the start: the clone token, the `/autofix cancel` handler's reads (none while its caches hold), the final edits; nothing published.
    expect(operations.slice(operations.indexOf('checks/create')).filter((operation) => !HANDLER_READS.includes(operation))).toEqual([
      'checks/create',
      'apps/create-installation-access-token',
      'issues/update-comment',
      'checks/update',
    ]);
    w.gh.done();
    // Nothing runs it again.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await service.queues!.queues.fix.getJobCounts('waiting', 'active', 'delayed')).toEqual({ waiting: 0, active: 0, delayed: 0 });
  });
});

// ------------------------------------------------------------- worker killed

interface WorkerProcess {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that has this message. */
  line(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  output(): string;
}

/** `swe-bot serve --role worker` in a child process, with the App's environment and nothing else of the test's. */
function startWorker(env: NodeJS.ProcessEnv): WorkerProcess {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-worker-'));
  const child = spawn(process.execPath, [BIN, 'serve', '--role', 'worker'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exit.then(() => fs.rmSync(cwd, { recursive: true, force: true }));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
  });
  const lines = (): Record<string, unknown>[] =>
    stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    child,
    exit,
    output: () => `${stdout}\n${stderr}`,
    async line(msg, timeoutMs = 30_000) {
      let found: Record<string, unknown> | undefined;
      await waitFor(`the worker to log "${msg}"`, () => {
        if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}) before logging "${msg}":\n${stdout}\n${stderr}`);
        found = lines().find((line) => line.msg === msg);
        return found !== undefined;
      }, timeoutMs);
      return found!;
    },
  };
}

describe('a worker killed mid-job', () => {
  it('is replaced: another worker process takes the job over and the issue gets exactly one pull request', async () => {
    const issue = 23;
    const id = jobId.fix(REPO_ID, issue);
    // GitHub Enterprise-style base URL: the children reach the mock over HTTP at GHE_HOST.
    const w = await world(issue, { github: { baseUrl: 'https://ghe.test/api/v3' } });
    const api = new URL(await w.gh.listen());
    const prefix = randomPrefix();
    cleanups.push(() => deleteKeys(prefix));
    const github = { GHE_HOST: api.host, GHE_PROTOCOL: 'http' };
    const web = await app(w, { role: 'web', prefix, env: github });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-workers-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const full = appEnv({
      ...github,
      OPENAI_BASE_URL: w.gate.url,
      SWE_BOT_QUEUE_PREFIX: prefix,
      // A worker that stops renewing loses its jobs 2 s later (default 30 s).
      SWE_BOT_JOB_LOCK_MS: '2000',
      SWE_BOT_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    });
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(full).filter(([key]) => /^(PATH|HOME|DOCKER_HOST|APP_ID|PRIVATE_KEY|WEBHOOK_SECRET|REDIS_URL|GHE_.*|OPENAI_.*|SWE_BOT_.*|HOST|PORT|LOG_LEVEL)$/.test(key)),
    );

    const first = startWorker(env);
    await first.line('workers ready');
    const held = w.gate.holdNext();
    await deliver(web.webhookUrl, 'issues', labeled(w, issue));
    const fix = web.service.queues!.queues.fix;
    await beforeJobSettles(held, fix, id, 'the first worker\'s agent to ask the model');
    expect(await fix.getJobState(id)).toBe('active');
    expect((await fix.getJob(id))?.processedBy).toBe(`${os.hostname()}:${first.child.pid}`);
    const leftBehind = await jobContainers(w.docker, id);
    expect(leftBehind.length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    expect(await first.exit).toEqual({ code: null, signal: 'SIGKILL' });
    const requestsBeforeKill = w.gh.requests.length;
    const killedAt = Date.now();
    // Its containers outlive it, until another worker's reaper sees their owner is gone.
    expect((await jobContainers(w.docker, id)).length).toBeGreaterThan(0);

    const second = startWorker(env);
    await second.line('workers ready');
    const job = await settledJob(fix, id, 120_000);
    expect(await job.getState(), `${job.failedReason}\n${second.output()}`).toBe('completed');
    const recoveredMs = Date.now() - killedAt;
    expect(job.returnvalue).toMatchObject({ verdict: 'verified', pullRequest: { number: 100, created: true } });
    expect(job.processedBy).toBe(`${os.hostname()}:${second.child.pid}`);
    expect(job.stalledCounter).toBe(1);
    expect(job.attemptsMade).toBe(1);
    // The held model request died with the first worker.
    expect(w.gate.abandoned).toBe(1);

    // Exactly one pull request, one status comment, one check run (the second run took over the first run's).
    expect(w.gh.calls('pulls/create')).toHaveLength(1);
    expect(w.fake.pulls).toHaveLength(1);
    expect(w.fake.comments).toHaveLength(1);
    expect(w.fake.checkRuns).toHaveLength(1);
    expect(w.fake.checkRuns[0]).toMatchObject({ status: 'completed', conclusion: 'success' });
    const firstWorkerEdited = w.gh.requests.slice(0, requestsBeforeKill).some((request) => request.operationId === 'issues/update-comment');
    const { operations } = withoutProgressEdits(w.gh.requests.slice(requestsBeforeKill));
    expect(operations).toEqual([
      // The second worker process: its own installation token, then the job from the top.
      'apps/create-installation-access-token',
      'issues/get',
      'repos/get-content',
      'repos/get-branch',
      'apps/get-authenticated',
      'reactions/create-for-issue',
      // The first run's status comment and unfinished check run are taken over. The comment is
      // edited only if it changed since: when the first worker wrote progress before it was killed.
      'issues/list-comments',
      ...(firstWorkerEdited ? ['issues/update-comment'] : []),
      'checks/list-for-ref',
      'checks/update',
      'apps/create-installation-access-token',
      ...PUBLISH_NEW_PULL_REQUEST,
      'issues/update-comment',
      'checks/update',
    ]);
    expect(w.gh.requests.slice(requestsBeforeKill).find((r) => r.operationId === 'checks/update')?.body).toMatchObject({ status: 'in_progress' });
    w.gh.done();
    // What the killed worker left in Docker is gone (the second worker's reaper at its start-up).
    expect(await jobContainers(w.docker, id)).toEqual([]);
    for (const container of leftBehind) {
      await expect(w.docker.getContainer(container.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    }
    // Lock 2 s, stalled checks every 2 s, then the whole fix again.
    expect(recoveredMs).toBeLessThan(60_000);

    second.child.kill('SIGTERM');
    expect(await second.exit).toEqual({ code: 0, signal: null });
  });
});
