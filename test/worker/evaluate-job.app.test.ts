/**
 * `/swe-bot evaluate` end to end (issue #13): a signed `issue_comment` by an
 * admin → an evaluation job in the fix queue → the repository cloned over
 * git smart-HTTP → bugs synthesized and validated in real containers → each
 * one given to the fix pipeline (a scripted model that undoes all but one of
 * them) → graded by the harness → the solve rate, per kind, in the status
 * comment. A sender with write permission only is refused and nothing runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../src/queue/job-data.ts';
import { runCli } from '../helpers/cli.ts';
import { mockGitHub, webhookExample, type MockGitHub } from '../helpers/github-api.ts';
import { startScriptedModel, type RecordedRequest, type ScriptedModel } from '../helpers/scripted-model.ts';
import { SMITH_LIB, SMITH_LIB_TEST, call, textOf } from '../helpers/smith-fixture.ts';
import { fakeGitHub, type FakeGitHub } from '../helpers/app-github.ts';
import { BOT, ISSUE, REPO_ID, type ServedRepo, serveRepo } from '../helpers/app-repo.ts';
import { type AppService, deliver, installation, payloadRepository, sender, settledJob, startApp } from '../helpers/app-service.ts';

const ISSUE_NUMBER = 9;
const JOB_ID = jobId.evaluate(REPO_ID);
const ADMIN = 'root-admin';

let gh: MockGitHub;
let served: ServedRepo;
let model: ScriptedModel;
let fake: FakeGitHub;
let app: AppService;

interface Line {
  instance_id: string;
  base_commit: string;
  patch: string;
  smith: { kind: string };
}

/** The dataset the job wrote, read once the agent runs (it is written before). */
const datasetLines = (): Line[] =>
  fs.readFileSync(path.join(app.config.dataDir, 'evaluations', 'acme__widgets', 'dataset.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);

/** Issue texts in a user's words; the agent undoes every bug but the one of the smallest commit id. */
function reply(request: RecordedRequest): string {
  const messages = request.body.messages;
  if (textOf(messages[0]?.content).includes('You write GitHub issues')) {
    return '# Wrong numbers from the library\n\nCalling it the way the documentation shows gives a different value than documented.';
  }
  const step = messages.filter((message) => message.role === 'assistant').length;
  if (step === 0) return call('execute_bash', { command: 'git -C /testbed rev-parse HEAD' });
  if (step === 1) {
    const lines = datasetLines();
    const skipped = lines.map((line) => line.base_commit).sort()[0];
    const head = /\b[0-9a-f]{40}\b/.exec(textOf(messages.at(-1)?.content))?.[0];
    const line = lines.find((candidate) => candidate.base_commit === head);
    if (line === undefined || head === skipped) return call('finish', { message: 'Could not find it.' });
    return call('execute_bash', { command: `cd /testbed && git apply <<'EVAL_EOF'\n${line.patch.endsWith('\n') ? line.patch : `${line.patch}\n`}EVAL_EOF` });
  }
  return call('finish', { message: 'Restored the documented behaviour.' });
}

beforeAll(async () => {
  gh = mockGitHub();
  served = await serveRepo(gh.token, (work) => work.commit({ 'lib.js': SMITH_LIB, 'test/lib.test.js': SMITH_LIB_TEST }, 'clamp, range and every'));
  model = await startScriptedModel({ replies: Array.from({ length: 100 }, () => reply) });
  fake = fakeGitHub(gh, { issues: { [ISSUE_NUMBER]: ISSUE }, defaultBranchSha: served.base, permissions: { [ADMIN]: 'admin' } });
  app = await startApp({ env: { OPENAI_BASE_URL: model.url, SWE_BOT_TOOL_FORMAT: 'text' }, cloneOrigin: served.git.origin });
});

afterAll(async () => {
  await app?.stop();
  await model?.close();
  await served?.close();
  gh?.close();
});

const evaluateComment = (id: number, login: string, body: string) =>
  webhookExample('issue_comment', 'created', {
    repository: payloadRepository(served.cloneUrl),
    sender: sender(login),
    issue: { number: ISSUE_NUMBER, title: ISSUE.title, body: ISSUE.body, pull_request: undefined },
    comment: { id, body, user: { login, type: 'User' } },
    installation,
  });

describe('/swe-bot evaluate', () => {
  it('refuses a sender below maintain, and runs nothing', async () => {
    await deliver(app.webhookUrl, 'issue_comment', evaluateComment(9001, 'alice', '/swe-bot evaluate 3'), 'delivery-evaluate-0');
    await expect.poll(() => fake.comments.length, { timeout: 10_000 }).toBe(1);
    expect(fake.comments[0]?.body).toMatch(/swe-bot evaluates the model on this repository only for people with \*\*maintain\*\* permission/);
    expect(await app.service.queues!.queues.fix.getJob(JOB_ID)).toBeUndefined();
    fake.comments.length = 0;
  });

  it('makes bugs the tests catch, has the model fix them, and comments the solve rate per kind', async () => {
    await deliver(app.webhookUrl, 'issue_comment', evaluateComment(9002, ADMIN, '/swe-bot evaluate 3'), 'delivery-evaluate-1');
    const job = await settledJob(app.service.queues!.queues.fix, JOB_ID);
    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(job.data).toMatchObject({ trigger: 'evaluate', bugs: 3 });
    const lines = datasetLines();
    expect(lines).toHaveLength(3);
    expect(job.returnvalue).toEqual({ bugs: 3, resolved: 2, commit: served.base });

    // Kept for the operator: predictions, trajectories and the report beside the dataset.
    const kept = path.join(app.config.dataDir, 'evaluations', 'acme__widgets');
    const report = JSON.parse(fs.readFileSync(path.join(kept, 'report.json'), 'utf8')) as { resolved_ids: string[] };
    expect(report.resolved_ids).toHaveLength(2);
    expect(fs.readFileSync(path.join(kept, 'predictions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    // … which export-trajectories turns into training data: the two resolved conversations.
    const train = path.join(kept, 'train.jsonl');
    const exported = await runCli(['export-trajectories', '--runs', path.join(kept, 'runs'), '--report', path.join(kept, 'report.json'), '--output', train]);
    expect(exported.code, exported.stderr).toBe(0);
    const conversations = fs.readFileSync(train, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { instance_id: string; verdict: string; messages: unknown[] });
    expect(conversations.map((c) => c.instance_id).sort()).toEqual([...report.resolved_ids].sort());
    expect(conversations.every((c) => c.verdict === 'resolved' && c.messages.length >= 5)).toBe(true);

    // One status comment, by the App, with the rate and a row per kind whose counts add up.
    expect(gh.calls('reactions/create-for-issue-comment').some((c) => c.params.comment_id === 9002)).toBe(true);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0]?.user?.login).toBe(BOT);
    const body = fake.comments[0]?.body ?? '';
    expect(body).toContain('**2 of 3 bugs fixed**');
    expect(body).toContain('fixed **2 of 3** bug(s) made in this repository (67%)');
    const rows = [...body.matchAll(/^\| ([a-z ]+) \| (\d+) \| (\d+) \| \d+% \|$/gm)];
    const kinds = new Map<string, number>();
    for (const line of lines) kinds.set(line.smith.kind.replaceAll('_', ' '), (kinds.get(line.smith.kind.replaceAll('_', ' ')) ?? 0) + 1);
    expect(new Map(rows.map((row) => [row[1], Number(row[2])]))).toEqual(kinds);
    expect(rows.reduce((sum, row) => sum + Number(row[3]), 0)).toBe(2);
    expect(fake.checkRuns).toHaveLength(0);
    expect(gh.calls('pulls/create')).toHaveLength(0);
  });
});
