/**
 * `/swe-bot setup` end to end (issue #11): a signed `issue_comment` on an
 * issue of a repository with no `.github/swe-bot.yml` → a setup job in the
 * fix queue → the repository cloned over git smart-HTTP → detection and a
 * baseline that counts in real containers (no model is asked: detection
 * works) → a pull request adding `.github/swe-bot.yml` with the confirmed
 * commands, and the status comment saying so. Asked again → the same pull
 * request updated, never a second one.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { marker } from '../../src/github/markers.ts';
import { jobId } from '../../src/queue/job-data.ts';
import { createDockerClient } from '../../src/sandbox/docker-client.ts';
import { mockGitHub, webhookExample, type MockGitHub } from '../helpers/github-api.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';
import { fakeGitHub, type FakeGitHub } from '../helpers/app-github.ts';
import { BOT, commitBug, ISSUE, REPO_ID, type ServedRepo, serveRepo } from '../helpers/app-repo.ts';
import { type AppService, deliver, installation, jobContainers, payloadRepository, sender, settledJob, startApp } from '../helpers/app-service.ts';

const ISSUE_NUMBER = 7;
const JOB_ID = jobId.setup(REPO_ID);
const BRANCH = 'swe-bot/setup';

let gh: MockGitHub;
let served: ServedRepo;
let model: ScriptedModel;
let fake: FakeGitHub;
let app: AppService;
let docker: Docker;

beforeAll(async () => {
  gh = mockGitHub();
  served = await serveRepo(gh.token, commitBug);
  // Detection finds commands that work on this repository: the setup agent, and so the model, is never asked.
  model = await startScriptedModel({ replies: [] });
  fake = fakeGitHub(gh, { issues: { [ISSUE_NUMBER]: ISSUE }, defaultBranchSha: served.base, baseTreeSha: served.rev('HEAD^{tree}') });
  app = await startApp({ env: { OPENAI_BASE_URL: model.url }, cloneOrigin: served.git.origin });
  docker = createDockerClient(app.config.dockerHost);
});

afterAll(async () => {
  await app?.stop();
  await model?.close();
  await served?.close();
  gh?.close();
});

const setupComment = (id: number) =>
  webhookExample('issue_comment', 'created', {
    repository: payloadRepository(served.cloneUrl),
    sender: sender(),
    issue: { number: ISSUE_NUMBER, title: ISSUE.title, body: ISSUE.body, pull_request: undefined },
    comment: { id, body: '/swe-bot setup', user: { login: 'alice', type: 'User' } },
    installation,
  });

describe('/swe-bot setup', () => {
  it('opens a pull request that pins the confirmed commands in a new .github/swe-bot.yml', async () => {
    await deliver(app.webhookUrl, 'issue_comment', setupComment(8001), 'delivery-setup-1');
    const job = await settledJob(app.service.queues!.queues.fix, JOB_ID);
    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(job.returnvalue).toEqual({ status: 'published', pullRequest: { number: 100, url: 'https://github.com/acme/widgets/pull/100', created: true } });
    expect(model.requests).toHaveLength(0);

    // One file in the commit: the configuration, holding what detection found and the baseline confirmed.
    const [treeSha] = [...fake.trees.keys()];
    const files = fake.treeFiles(treeSha!);
    expect([...files.keys()]).toEqual(['.github/swe-bot.yml']);
    const pinned = parse(files.get('.github/swe-bot.yml') ?? '') as { environment: Record<string, unknown> };
    expect(pinned).toEqual({ environment: { setup: ['npm ci'], test: 'npm test -- --test-reporter=tap', log_parser: 'tap' } });
    const [, commit] = [...fake.commits.entries()][0]!;
    expect(commit).toMatchObject({ tree: treeSha, parents: [served.base] });
    expect(gh.calls('git/create-ref')[0]?.body).toMatchObject({ ref: `refs/heads/${BRANCH}` });

    const create = gh.calls('pulls/create')[0]!.body as Record<string, unknown>;
    expect(create).toMatchObject({ head: BRANCH, base: 'main', draft: false, title: 'Pin the test commands swe-bot uses in .github/swe-bot.yml' });
    const body = String(create.body);
    expect(body.startsWith(`${marker('setup', { number: ISSUE_NUMBER })}\nAsked for in #7. At ${served.base.slice(0, 12)} the tests ran and counted: 2 tests, 2 passing.`)).toBe(true);
    expect(body).toContain("swe-bot found them in the repository's files");

    // Progress on the issue: 👀 on the comment that asked, one status comment ending with the pull request; no check run.
    expect(gh.calls('reactions/create-for-issue-comment')[0]).toMatchObject({ params: { comment_id: 8001 }, body: { content: 'eyes' } });
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]?.user?.login).toBe(BOT);
    expect(fake.comments[0]?.body).toContain('**confirmed** — 2 tests, 2 passing; pull request: https://github.com/acme/widgets/pull/100.');
    expect(fake.checkRuns).toHaveLength(0);
    expect(await jobContainers(docker, JOB_ID)).toEqual([]);
  });

  it('asked again, moves the branch and updates the same pull request', async () => {
    await deliver(app.webhookUrl, 'issue_comment', setupComment(8002), 'delivery-setup-2');
    await expect.poll(async () => ((await app.service.queues!.queues.fix.getJob(JOB_ID))?.data as { deliveryId?: string } | undefined)?.deliveryId, { timeout: 30_000 }).toBe('delivery-setup-2');
    const job = await settledJob(app.service.queues!.queues.fix, JOB_ID);
    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(job.returnvalue).toEqual({ status: 'published', pullRequest: { number: 100, url: 'https://github.com/acme/widgets/pull/100', created: false } });
    expect(gh.calls('pulls/create')).toHaveLength(1);
    expect(gh.calls('pulls/update')).toHaveLength(1);
    expect(gh.calls('git/update-ref')[0]?.body).toMatchObject({ force: true });
    expect(fake.pulls).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
  });
});
