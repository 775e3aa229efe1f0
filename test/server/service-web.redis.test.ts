/**
 * The web role in-process, on the real Redis (a random key prefix per test)
 * and with GitHub mocked (every request checked against GitHub's OpenAPI
 * description): the routes, and a webhook delivered over HTTP all the way to
 * a job in Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { jobId } from '../../src/queue/job-data.ts';
import { startService, type Service } from '../../src/server/service.ts';
import { collaboratorPermission, deliverWebhook, example, mockGitHub, TestOctokit, webhookExample, type MockGitHub } from '../helpers/github-api.ts';
import { commentStore } from '../helpers/comment-store.ts';
import { basic, deleteKeys, randomPrefix, serviceConfig, WEBHOOK_SECRET } from '../helpers/service-fixture.ts';

const REPO = { id: 4242, name: 'widgets', full_name: 'acme/widgets', owner: { login: 'acme' }, clone_url: 'https://github.com/acme/widgets.git', default_branch: 'main' };
const labeled = (issue: number) =>
  webhookExample('issues', 'labeled', { repository: REPO, sender: { login: 'alice', type: 'User' }, label: { name: 'autofix' }, issue: { number: issue }, installation: { id: 99 } });

let gh: MockGitHub | undefined;
const services: Service[] = [];
const prefixes: string[] = [];

async function start(env: Record<string, string | undefined> = {}): Promise<Service> {
  const prefix = randomPrefix();
  prefixes.push(prefix);
  const service = await startService({
    config: serviceConfig({ SWE_BOT_ADMIN_PASSWORD: 'open sesame', ...env }),
    role: 'web',
    logger: silentLogger(),
    queuePrefix: prefix,
    probot: { Octokit: TestOctokit },
  });
  services.push(service);
  return service;
}

afterEach(async () => {
  gh?.close();
  gh = undefined;
  await Promise.all(services.splice(0).map((service) => service.stop()));
  await Promise.all(prefixes.splice(0).map((prefix) => deleteKeys(prefix)));
});

describe('web role routes', () => {
  let service: Service;
  beforeEach(async () => {
    service = await start();
  });

  it('answers /healthz with what it checked', async () => {
    const res = await fetch(`${service.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ ok: true, role: 'web', mode: 'running', checks: { redis: 'ok' } });
  });

  it('exposes the job gauges, the duration histogram and the token counter on /metrics', async () => {
    await service.queues?.queues.fix.add('fix', { any: 'thing' }, { jobId: 'fix-1-1' });
    service.metrics.jobFinished('fix', 'completed', 42);
    service.metrics.tokens(1000, 200);
    const res = await fetch(`${service.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('swe_bot_jobs{queue="fix",state="waiting"} 1');
    expect(text).toContain('swe_bot_jobs{queue="review",state="active"} 0');
    expect(text).toContain('swe_bot_redis_up 1');
    expect(text).toContain('swe_bot_job_duration_seconds_bucket{le="60",queue="fix",outcome="completed"} 1');
    expect(text).toContain('swe_bot_model_tokens_total{kind="prompt"} 1000');
    expect(text).toContain('swe_bot_model_tokens_total{kind="completion"} 200');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('keeps the dashboard behind basic auth', async () => {
    const url = `${service.url}/admin/queues`;
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="swe-bot", charset="UTF-8"');
    expect((await fetch(url, { headers: basic('admin', 'wrong') })).status).toBe(401);
    expect((await fetch(url, { headers: basic('root', 'open sesame') })).status).toBe(401);
    const page = await fetch(url, { headers: basic('admin', 'open sesame') });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${url}/api/queues`, { headers: basic('admin', 'open sesame') });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name).sort();
    expect(names).toEqual(['fix', 'review']);
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
  });

  it('answers 404 for unknown paths, and 405 for a GET of the webhook path', async () => {
    expect((await fetch(`${service.url}/nope`)).status).toBe(404);
    const get = await fetch(`${service.url}/api/github/webhooks`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

it('turns the dashboard off (404) when no password is set', async () => {
  const service = await start({ SWE_BOT_ADMIN_PASSWORD: undefined });
  expect((await fetch(`${service.url}/admin/queues`)).status).toBe(404);
  expect((await fetch(`${service.url}/admin/queues`, { headers: basic('admin', '') })).status).toBe(404);
  expect((await fetch(`${service.url}/admin/queues/api/queues`)).status).toBe(404);
});

describe('webhooks over HTTP', () => {
  it('rejects a bad signature and a missing one, and enqueues nothing', async () => {
    gh = mockGitHub();
    const service = await start();
    const url = `${service.url}/api/github/webhooks`;
    const wrong = await deliverWebhook({ url, event: 'issues', payload: labeled(7), secret: 'not-the-secret' });
    expect([400, 401]).toContain(wrong.status);
    const unsigned = await deliverWebhook({ url, event: 'issues', payload: labeled(7), secret: null });
    expect([400, 401]).toContain(unsigned.status);
    expect(await service.queues?.queues.fix.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    expect(gh.requests).toEqual([]);
  });

  it('takes a signed issues.labeled to a job in Redis, once per delivery', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', { status: 404, body: { message: 'Not Found' } }, { times: 2 });
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'write') });
    const service = await start();
    const url = `${service.url}/api/github/webhooks`;
    const res = await deliverWebhook({ url, event: 'issues', payload: labeled(7), secret: WEBHOOK_SECRET, deliveryId: 'delivery-7' });
    expect(res.status).toBe(200);
    const job = await service.queues?.queues.fix.getJob(jobId.fix(REPO.id, 7));
    const { title, body } = labeled(7).issue;
    expect(job?.data).toEqual({
      v: 3,
      deliveryId: 'delivery-7',
      installationId: 99,
      repository: { id: REPO.id, owner: 'acme', name: 'widgets', cloneUrl: REPO.clone_url, defaultBranch: 'main' },
      requestedBy: 'alice',
      issue: { number: 7 },
      trigger: 'label',
      // The issue's text as the delivery carried it, hashed: no token, nothing secret.
      text: { title, body, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown, cut: false },
    });
    // GitHub retries a delivery it thinks failed: the same delivery id adds nothing.
    const again = await deliverWebhook({ url, event: 'issues', payload: labeled(7), secret: WEBHOOK_SECRET, deliveryId: 'delivery-7' });
    expect(again.status).toBe(200);
    expect(await service.queues?.queues.fix.getJobCounts('waiting')).toEqual({ waiting: 1 });
    expect(gh.operations()).toEqual([
      'apps/create-installation-access-token',
      'repos/get-content',
      'repos/get-content',
      'repos/get-collaborator-permission-level',
    ]);
    gh.done();
  });
});

describe('comments under concurrent deliveries', () => {
  /** Two web processes' worth of services on one Redis prefix (separate caches, separate GitHub clients): what a scaled-out web role is. */
  async function twoServices(): Promise<[Service, Service]> {
    const prefix = randomPrefix();
    prefixes.push(prefix);
    const make = async (): Promise<Service> => {
      const service = await startService({ config: serviceConfig(), role: 'web', logger: silentLogger(), queuePrefix: prefix, probot: { Octokit: TestOctokit } });
      services.push(service);
      return service;
    };
    return [await make(), await make()];
  }
  /** The App is `swe-bot`: its comments are `swe-bot[bot]`'s, as the comment store makes them. */
  const app = (): void => {
    gh?.on('GET /app', { body: example('apps/get-authenticated', { slug: 'swe-bot', name: 'swe-bot' }) }, { optional: true });
  };
  const deliverAll = (urls: string[], payload: (index: number) => unknown) =>
    Promise.all(urls.map((url, index) => deliverWebhook({ url: `${url}/api/github/webhooks`, event: 'issues', payload: payload(index), secret: WEBHOOK_SECRET })));

  it('three deliveries at once from a reader (two processes) get one refusal comment, not three', async () => {
    gh = mockGitHub();
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', { status: 404, body: { message: 'Not Found' } }, { optional: true });
    gh.on('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { body: collaboratorPermission('alice', 'read') }, { optional: true });
    const comments = commentStore(gh);
    app();
    const [a, b] = await twoServices();
    const answers = await deliverAll([a.url, a.url, b.url], () => labeled(7));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(gh.calls('issues/create-comment')).toHaveLength(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toMatch(/^<!-- swe-bot:refused user=alice -->\n@alice, thanks for asking/);
    expect(await a.queues?.queues.fix.getJobCounts('waiting')).toEqual({ waiting: 0 });
  });

  it('a YAML alias bomb in .github/swe-bot.yml is answered 200 with one configuration-error comment, also when delivered three times at once', async () => {
    gh = mockGitHub();
    let bomb = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i += 1) bomb += `a${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ')}]\n`;
    gh.on('GET /repos/{owner}/{repo}/contents/{path}', { body: bomb, headers: { 'content-type': 'application/vnd.github.raw; charset=utf-8' } });
    const comments = commentStore(gh);
    app();
    const [a, b] = await twoServices();
    const answers = await deliverAll([a.url, b.url, b.url], () => labeled(8));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(gh.calls('issues/create-comment')).toHaveLength(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('<!-- swe-bot:config-error n=8 -->');
    expect(comments[0]?.body).toContain('acme/widgets:.github/swe-bot.yml: the YAML could not be read: Excessive alias count');
    expect(await a.queues?.queues.fix.getJobCounts('waiting')).toEqual({ waiting: 0 });
  });
});

it('refuses to serve webhooks without a webhook secret', async () => {
  await expect(start({ WEBHOOK_SECRET: undefined })).rejects.toThrow(/WEBHOOK_SECRET is unset/);
});
