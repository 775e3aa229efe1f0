/**
 * An environment that cannot be built, end to end (issue #9): the job is
 * classified where the build fails.
 * (a) A setup command that fails the same way every time — here `npm install`
 *     against a registry whose certificate the sandbox does not trust, as
 *     behind a TLS-inspecting proxy — fails the job once: no retry, a failed
 *     check run, and one comment saying why, what to do
 *     (SWE_BOT_EXTRA_CA_CERTS) and the end of the build log. The model is
 *     never asked.
 * (b) The same command against a registry that refuses connections is a
 *     network failure: the comment says it will be tried again, and the job
 *     waits for its retry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { jobId } from '../../src/queue/job-data.ts';
import { mockGitHub, type MockGitHub } from '../helpers/github-api.ts';
import { closedPort } from '../helpers/ports.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';
import { startTlsServer, type TlsServer } from '../helpers/tls-server.ts';
import { fakeGitHub, type FakeGitHub } from '../helpers/app-github.ts';
import { commitBug, ISSUE, REPO_ID, type ServedRepo, serveRepo } from '../helpers/app-repo.ts';
import { type AppService, deliver, labeledIssue, settledJob, startApp, waitFor } from '../helpers/app-service.ts';

let tls: TlsServer;
let model: ScriptedModel;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  tls = await startTlsServer();
  model = await startScriptedModel({ replies: [] });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await model?.close();
  await tls?.close();
});

/**
 * The App with a repository whose `.github/swe-bot.yml` sets `setup` to
 * `command`. Builds reach this machine only for a service the operator named
 * with its port (SWE_BOT_EGRESS_ALLOW), as a registry mirror beside swe-bot would be.
 */
async function appWithSetup(
  issue: number,
  command: string,
  env: Record<string, string> = {},
): Promise<{ gh: MockGitHub; fake: FakeGitHub; app: AppService; served: ServedRepo }> {
  const gh = mockGitHub();
  cleanups.push(() => gh.close());
  const served = await serveRepo(gh.token, commitBug);
  cleanups.push(() => served.close());
  const fake = fakeGitHub(gh, {
    config: `environment:\n  setup:\n    - ${JSON.stringify(command)}\n`,
    issues: { [issue]: ISSUE },
    defaultBranchSha: served.base,
    baseTreeSha: served.rev('HEAD^{tree}'),
  });
  const app = await startApp({ env: { OPENAI_BASE_URL: model.url, ...env }, cloneOrigin: served.git.origin });
  cleanups.push(() => app.stop());
  await deliver(app.webhookUrl, 'issues', labeledIssue(served.cloneUrl, issue));
  return { gh, fake, app, served };
}

describe('an environment that cannot be built', () => {
  it('fails once, with the reason, what to do and the end of the build log, when the failure is permanent', async () => {
    const issue = 31;
    const registry = tls.url.replace('127.0.0.1', 'localhost');
    const { fake, app } = await appWithSetup(issue, `npm install --fetch-retries=0 --registry ${registry}`, { SWE_BOT_EGRESS_ALLOW: new URL(registry).host });
    const job = await settledJob(app.service.queues!.queues.fix, jobId.fix(REPO_ID, issue));

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain('a TLS certificate was not trusted');
    expect(fake.checkRuns.map((run) => run.conclusion)).toEqual(['failure']);
    expect(fake.comments).toHaveLength(1);
    const body = fake.comments[0]?.body ?? '';
    expect(body).toMatch(/Failed: Environment setup failed: `npm install --fetch-retries=0 --registry https:\/\/localhost:\d+` \(exit code 1\)/);
    expect(body).not.toContain('try again');
    expect(body).toContain('**What to do:**');
    expect(body).toContain('SWE_BOT_EXTRA_CA_CERTS');
    // npm's own words, from the end of the build log, in a collapsed block.
    expect(body).toMatch(/<details><summary>The end of the build log \(`npm install [^`]+`\)<\/summary>\n\n```+text\n[\s\S]*UNABLE_TO_VERIFY_LEAF_SIGNATURE[\s\S]*\n```+\n\n<\/details>/);
    expect(fake.checkRuns[0]?.output.summary).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // The stage it stopped in is not shown as done.
    expect(body).toMatch(/- ✗ \*\*environment\*\*/);
    expect(model.requests).toHaveLength(0);
  });

  it('says it will try again, and waits for the retry, when the network failed', async () => {
    const issue = 32;
    const port = await closedPort();
    const { fake, app } = await appWithSetup(issue, `npm install --fetch-retries=0 --registry http://localhost:${port}`, { SWE_BOT_EGRESS_ALLOW: `localhost:${port}` });
    const queue = app.service.queues!.queues.fix;
    const id = jobId.fix(REPO_ID, issue);
    await waitFor('the first attempt to fail', async () => (await (await queue.getJob(id))?.getState()) === 'delayed', 150_000);

    const job = await queue.getJob(id);
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain('the network failed during the build');
    expect(fake.checkRuns.map((run) => run.conclusion)).toEqual(['neutral']);
    const body = fake.comments[0]?.body ?? '';
    expect(body).toContain('This looks temporary; swe-bot will try again.');
    // The proxy could not connect: npm sees its 502.
    expect(body).toMatch(/502 Bad Gateway|ECONNREFUSED/);
    expect(model.requests).toHaveLength(0);
  });

  it('names the hosts the egress proxy refused, with the command, in the comment and the check run, and does not retry', async () => {
    const issue = 33;
    const command = 'npm install --fetch-retries=0 --registry https://npm.internal.example/';
    const { fake, app } = await appWithSetup(issue, command);
    const job = await settledJob(app.service.queues!.queues.fix, jobId.fix(REPO_ID, issue));

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toContain("the sandbox's egress proxy refused npm.internal.example");
    const body = fake.comments[0]?.body ?? '';
    expect(body).toContain('**Network requests refused while the environment was built.**');
    expect(body).toContain(`- \`npm.internal.example:443\`: not on the allowlist during \`${command}\``);
    expect(body).toContain('environment.egress_allow');
    // The build log says it too.
    expect(body).toMatch(/403|Forbidden|ECONNREFUSED|tunneling socket/i);
    expect(fake.checkRuns.map((run) => run.conclusion)).toEqual(['failure']);
    expect(model.requests).toHaveLength(0);
  });
});
