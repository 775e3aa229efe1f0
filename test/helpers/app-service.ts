/**
 * The App in the end-to-end tests (`*.app.test.ts`): the service as
 * `swe-bot serve` wires it (src/cli/serve.ts `jobProcessors`: the real job
 * runners, the real Docker sandbox, the model at OPENAI_BASE_URL), on the
 * real Redis under a random key prefix; signed webhook deliveries to it;
 * waiting for a job, listing a job's containers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from 'bullmq';
import type Docker from 'dockerode';
import { jobProcessors } from '../../src/cli/serve.ts';
import { loadConfig, type Config } from '../../src/config/load-config.ts';
import { createLogger, silentLogger, type Logger } from '../../src/logger.ts';
import { LABEL } from '../../src/sandbox/labels.ts';
import { startService, type Service, type ServiceOptions } from '../../src/server/service.ts';
import { INSTALLATION_ID, ISSUE, MAINTAINER, NAME, OWNER, REPO_ID } from './app-repo.ts';
import { deliverWebhook, type WebhookEventName, webhookExample } from './github-webhooks.ts';
import { deleteKeys, randomPrefix, serviceEnv, WEBHOOK_SECRET } from './service-fixture.ts';
import { testEnv } from './test-config.ts';

export interface AppService {
  service: Service;
  config: Config;
  prefix: string;
  /** `${service.url}/api/github/webhooks` */
  webhookUrl: string;
  stop(): Promise<void>;
}

/** Logs of the service on stderr when SWE_BOT_TEST_LOG names a level (debugging a failing run). */
export function testLogger(): Logger {
  const level = process.env.SWE_BOT_TEST_LOG;
  return level ? createLogger({ level, name: 'app-test' }) : silentLogger();
}

/** The environment of a registered App on 127.0.0.1 talking to the scripted model, as the tests run it. */
export function appEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return testEnv({
    ...serviceEnv(),
    SWE_BOT_MODEL: 'scripted-model',
    SWE_BOT_TOOL_FORMAT: 'text',
    // GitHub's 1 s between writes would only slow the tests down.
    SWE_BOT_GITHUB_WRITE_SPACING_MS: '0',
    SWE_BOT_SHUTDOWN_GRACE_MS: '0',
    ...overrides,
  });
}

/**
 * `swe-bot serve --role <role>` in this process, wired as src/cli/serve.ts
 * wires it, under a fresh Redis prefix and data folder. `stop()` stops it,
 * deletes the prefix's keys and the data folder. `cloneOrigin`: the git
 * server the payloads' `clone_url` names (`served.git.origin`), which the
 * App accepts in place of the configured GitHub host (src/app/payload-check.ts).
 * `logger` and `redactor`: as `serve` makes them (default: silent, a new redactor).
 */
export async function startApp(
  options: {
    role?: ServiceOptions['role'];
    env?: Record<string, string | undefined>;
    workerOptions?: ServiceOptions['workerOptions'];
    prefix?: string;
    cloneOrigin?: string;
    logger?: Logger;
    redactor?: ServiceOptions['redactor'];
  } = {},
): Promise<AppService> {
  const prefix = options.prefix ?? randomPrefix();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-app-data-'));
  const config = loadConfig(appEnv({ SWE_BOT_DATA_DIR: dataDir, ...options.env }));
  const role = options.role ?? 'all';
  const service = await startService({
    config,
    role,
    logger: options.logger ?? testLogger(),
    ...(options.redactor ? { redactor: options.redactor } : {}),
    ...(options.cloneOrigin ? { app: { cloneOrigin: options.cloneOrigin } } : {}),
    queuePrefix: prefix,
    ...(role === 'web' ? {} : { processors: await jobProcessors(config) }),
    ...(options.workerOptions ? { workerOptions: options.workerOptions } : {}),
  });
  let stopped = false;
  return {
    service,
    config,
    prefix,
    webhookUrl: `${service.url}/api/github/webhooks`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await service.stop();
      if (options.prefix === undefined) await deleteKeys(prefix);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed delivery to the App, as GitHub sends it. */
export async function deliver(url: string, event: WebhookEventName, payload: unknown, deliveryId?: string): Promise<void> {
  const response = await deliverWebhook({ url, event, payload, secret: WEBHOOK_SECRET, ...(deliveryId === undefined ? {} : { deliveryId }) });
  if (response.status !== 200) throw new Error(`the webhook was answered ${response.status}: ${response.body}`);
}

/** The repository as webhook payloads carry it. */
export function payloadRepository(cloneUrl: string) {
  return { id: REPO_ID, name: NAME, full_name: `${OWNER}/${NAME}`, owner: { login: OWNER }, clone_url: cloneUrl, default_branch: 'main' };
}

export const sender = (login = MAINTAINER) => ({ login, type: 'User' as const });
export const installation = { id: INSTALLATION_ID };

/** The `issues.labeled` delivery (label `autofix`, by the maintainer) asking for a fix of issue `number` ({@link ISSUE}'s text). */
export function labeledIssue(cloneUrl: string, number: number) {
  return webhookExample('issues', 'labeled', {
    repository: payloadRepository(cloneUrl),
    sender: sender(),
    label: { name: 'autofix' },
    issue: { number, title: ISSUE.title, body: ISSUE.body },
    installation,
  });
}

/** Waits until `check` holds (polled every 100 ms); the error names `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Waits until the job is completed or failed for good; returns it. */
export async function settledJob(queue: { getJob(id: string): Promise<Job | undefined> }, id: string, timeoutMs = 150_000): Promise<Job> {
  await waitFor(`job ${id} to finish`, async () => {
    const state = await (await queue.getJob(id))?.getState();
    return state === 'completed' || state === 'failed';
  }, timeoutMs);
  // Read again: a job read before it settled has neither its return value nor its failure yet.
  const job = await queue.getJob(id);
  if (job === undefined) throw new Error(`job ${id} is gone`);
  return job;
}

/** Containers (running or not) that work for `jobId`. */
export async function jobContainers(docker: Docker, jobId: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL.job}=${jobId}`] } });
}

/** Resolves with `promise`, or fails as soon as the job settles first (the job died before the point the test waits for). */
export async function beforeJobSettles<T>(promise: Promise<T>, queue: { getJob(id: string): Promise<Job | undefined> }, id: string, what: string): Promise<T> {
  let settled: { value: T } | undefined;
  void promise.then((value) => (settled = { value }));
  await waitFor(what, async () => {
    if (settled) return true;
    const job = await queue.getJob(id);
    const state = await job?.getState();
    if (state === 'completed' || state === 'failed') throw new Error(`job ${id} ${state} before ${what}: ${job?.failedReason ?? ''}`);
    return false;
  }, 150_000);
  return settled!.value;
}
