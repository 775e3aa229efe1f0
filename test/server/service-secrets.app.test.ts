/**
 * Secrets redacted by value at every output of the App (issue #12), end to
 * end: the service as `serve` wires it (one redactor, the logger cleaning
 * every line with it, the GitHub clients cleaning what they send), a fix job
 * and a review job driven by a scripted model that prints every secret it
 * can: in its replies, in a command whose output echoes them, in the text it
 * hands over for the pull request and the review, and in error messages (a
 * model server error quoting the installation token and the API key). No
 * secret may reach a log line, a request body GitHub receives, or a file the
 * App writes (its data folder, where trajectories and build logs go).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../src/queue/job-data.ts';
import { createLogger } from '../../src/logger.ts';
import { createSecretRedactor, REDACTED } from '../../src/util/secret-redactor.ts';
import { fakeGitHub, type FakePull } from '../helpers/app-github.ts';
import { call, FIX_STEPS } from '../helpers/app-model.ts';
import { commitBug, ISSUE, REPO_ID, type ServedRepo, serveRepo } from '../helpers/app-repo.ts';
import { type AppService, deliver, installation, labeledIssue, payloadRepository, sender, settledJob, startApp } from '../helpers/app-service.ts';
import { gitIn } from '../helpers/git-fixture.ts';
import { mockGitHub, webhookExample, type MockGitHub } from '../helpers/github-api.ts';
import { startScriptedModel, type RecordedRequest, type ScriptedModel } from '../helpers/scripted-model.ts';
import { PRIVATE_KEY, WEBHOOK_SECRET } from '../helpers/service-fixture.ts';

const ISSUE_NUMBER = 7;
const PR = 12;
const API_KEY = 'sk-app-test-model-key-0123456789abcdef';
const ADMIN_PASSWORD = 'dashboard-password-of-the-test';

let gh: MockGitHub;
let served: ServedRepo;
let model: ScriptedModel;
let app: AppService;
let head: string;
const lines: string[] = [];

/** Every secret the App knows, as the tests look for them: whole, and each line of the private key's body. */
function secrets(): string[] {
  const keyLines = PRIVATE_KEY.trim().split('\n').filter((line) => !line.startsWith('-----'));
  return [gh.token, API_KEY, WEBHOOK_SECRET, ADMIN_PASSWORD, PRIVATE_KEY.trim(), ...keyLines, Buffer.from(`x-access-token:${gh.token}`).toString('base64')];
}

/** All of them in one text, as a careless model or command would print them. */
const allSecrets = (): string => `token=${gh.token} key=${API_KEY} webhook=${WEBHOOK_SECRET} admin=${ADMIN_PASSWORD}\n${PRIVATE_KEY}`;

const assistantTurns = (request: RecordedRequest): number => request.body.messages.filter((message) => message.role === 'assistant').length;
const isReview = (request: RecordedRequest): boolean => JSON.stringify(request.body.messages[0]?.content ?? '').includes('submit_review');

/** The fix: a reply and a command printing every secret, the scripted fix, a finish message quoting them. */
function fixStep(request: RecordedRequest): string {
  const steps = [
    `Here is everything I know: ${allSecrets()}\n${call('execute_bash', { command: `printf '%s\\n' '${allSecrets()}'` })}`,
    FIX_STEPS[0]!,
    FIX_STEPS[1]!,
    call('finish', { message: `Removed the string branch. By the way: ${allSecrets()}` }),
  ];
  return steps[assistantTurns(request)] ?? call('finish', { message: 'out of script' });
}

/** The review: a reply and a search quoting the secrets, then the model server fails with an error that quotes them. */
function reviewStep(request: RecordedRequest): string | { status: number; message: string } {
  if (assistantTurns(request) === 0) {
    return `Secrets: ${allSecrets()}\n${call('search', { pattern: `${gh.token}|${API_KEY}|${WEBHOOK_SECRET}` })}`;
  }
  return { status: 400, message: `upstream rejected the request of installation token ${gh.token} (webhook secret ${WEBHOOK_SECRET})` };
}

beforeAll(async () => {
  gh = mockGitHub();
  served = await serveRepo(gh.token, commitBug);
  const base = served.base;
  const index = fs.readFileSync(path.join(served.work.dir, 'index.js'), 'utf8');
  gitIn(served.work.dir, 'checkout', '-q', '-b', 'feature');
  head = served.work.commit({ 'index.js': index.replace('module.exports = { add };', 'const twice = (a) => add(a, a);\n\nmodule.exports = { add, twice };') }, 'add twice');
  served.push('feature', head);
  const pull: FakePull = { number: PR, state: 'open', head: { ref: 'feature', sha: head }, base: { ref: 'main', sha: base }, title: 'Add twice', body: 'Doubles numbers.', draft: false };
  model = await startScriptedModel({ replies: Array.from({ length: 40 }, () => (request: RecordedRequest) => (isReview(request) ? reviewStep(request) : fixStep(request))) });
  fakeGitHub(gh, {
    config: 'fix:\n  max_iterations: 8\nreview:\n  max_comments: 5\n',
    issues: { [ISSUE_NUMBER]: ISSUE },
    pulls: [pull],
    defaultBranchSha: base,
    baseTreeSha: gitIn(served.work.dir, 'rev-parse', `${base}^{tree}`),
  });
  // As `serve` makes them: one redactor, every log line through it.
  const redactor = createSecretRedactor();
  const logger = createLogger({ level: 'trace', name: 'app-secrets-test', destination: { write: (line: string) => void lines.push(line) }, redact: (line) => redactor.redact(line) });
  app = await startApp({
    env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: API_KEY, SWE_BOT_ADMIN_PASSWORD: ADMIN_PASSWORD },
    cloneOrigin: served.git.origin,
    logger,
    redactor,
  });
});

afterAll(async () => {
  await app?.stop();
  await model?.close();
  await served?.close();
  gh?.close();
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('secrets printed by the model, by commands and in errors', () => {
  it('a fix job whose model printed every secret still opens its pull request', async () => {
    // The first model request fails with a server error quoting the token and the key: logged, retried.
    model.fail(1, 500, { message: `overloaded while serving token ${gh.token} with key ${API_KEY}`, headers: { 'retry-after-ms': '1' } });
    await deliver(app.webhookUrl, 'issues', labeledIssue(served.cloneUrl, ISSUE_NUMBER));
    const job = await settledJob(app.service.queues!.queues.fix, jobId.fix(REPO_ID, ISSUE_NUMBER));
    expect(await job.getState(), job.failedReason).toBe('completed');
    expect(job.returnvalue).toMatchObject({ verdict: 'verified' });
    // The scripted steps ran: the command that printed the secrets among them.
    expect(model.requests.filter((request) => !isReview(request)).length).toBeGreaterThanOrEqual(5);
  });

  it('a review job: the review says why it did not finish, cleaned', async () => {
    const pullEvent = webhookExample('pull_request', 'opened', {
      number: PR,
      repository: payloadRepository(served.cloneUrl),
      sender: sender(),
      installation,
      pull_request: { number: PR, draft: false, head: { ref: 'feature', sha: head, repo: { clone_url: served.cloneUrl } }, base: { ref: 'main', sha: served.base } },
    });
    await deliver(app.webhookUrl, 'pull_request', pullEvent);
    const job = await settledJob(app.service.queues!.queues.review, jobId.review(REPO_ID, PR, head));
    expect(await job.getState(), job.failedReason).toBe('completed');
    const review = gh.calls('pulls/create-review')[0]?.body as { body: string } | undefined;
    expect(review?.body).toContain(`upstream rejected the request of installation token ${REDACTED} (webhook secret ${REDACTED})`);
  });

  it('no secret in any GitHub request body, any log line, or any file of the data folder', () => {
    expect(model.requests.some((request) => isReview(request))).toBe(true);
    const bodies = gh.requests.map((request) => `${request.operationId ?? request.path}: ${JSON.stringify(request.body ?? '')}`);
    const files = filesUnder(app.config.dataDir).map((file) => ({ file, text: fs.readFileSync(file, 'latin1') }));
    // What the model printed went everywhere it could: the log has the retried error and the agent's steps.
    expect(lines.some((line) => line.includes('model request failed; retrying') && line.includes(REDACTED))).toBe(true);
    for (const secret of secrets()) {
      for (const body of bodies) expect(body.includes(secret), `a GitHub request body holds ${secret.slice(0, 12)}…: ${body.slice(0, 200)}`).toBe(false);
      for (const line of lines) expect(line.includes(secret), `a log line holds ${secret.slice(0, 12)}…: ${line.slice(0, 300)}`).toBe(false);
      for (const { file, text } of files) expect(text.includes(secret), `${file} holds ${secret.slice(0, 12)}…`).toBe(false);
    }
    // The review's body quoted the model's error, cleaned (the assertion of the review test): redaction did happen on the way to GitHub.
    expect(bodies.filter((body) => body.includes(REDACTED)).length).toBeGreaterThanOrEqual(1);
  });
});
