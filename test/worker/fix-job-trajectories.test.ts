/**
 * The fix job's part in keeping trajectories (SWE_BOT_KEEP_TRAJECTORIES_DAYS),
 * without Docker or GitHub: the pipeline, the job's GitHub frame and the
 * repository configuration are replaced, and the fake pipeline writes what
 * src/jobs/fix.ts writes to the outDir it is given. The whole App, with
 * containers, is test/worker/fix-job.app.test.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultRepoConfig } from '../../src/config/repo-config.ts';
import type { FixInput, FixResult } from '../../src/jobs/fix.ts';
import { silentLogger } from '../../src/logger.ts';
import type { FixJobData } from '../../src/queue/job-data.ts';
import type { JobRun } from '../../src/worker/job-run.ts';
import type { WorkerDeps } from '../../src/worker/worker-deps.ts';

const fixInputs: FixInput[] = [];

vi.mock('../../src/jobs/fix.ts', () => ({
  runFix: async (_deps: unknown, input: FixInput): Promise<FixResult> => {
    fixInputs.push(input);
    if (input.outDir !== undefined) {
      await fs.mkdir(input.outDir, { recursive: true });
      await fs.writeFile(path.join(input.outDir, 'trajectory-0.jsonl'), '{"role":"system","content":"s"}\n');
      await fs.writeFile(path.join(input.outDir, 'result.json'), '{"verdict":"plausible","chosen":0}\n');
    }
    return RESULT;
  },
}));
vi.mock('../../src/github/load-repo-config.ts', () => ({ loadRepoConfigFromGitHub: () => Promise.resolve({ config: defaultRepoConfig() }) }));
vi.mock('../../src/worker/job-run.ts', () => ({
  withJobRun: (_deps: unknown, _data: unknown, _ctx: unknown, _options: unknown, body: (run: JobRun) => Promise<unknown>) =>
    body({
      reporter: { start: () => Promise.resolve(), stage: () => undefined, finish: () => Promise.resolve(), idle: () => Promise.resolve() },
      pipeline: { sandbox: {} as never, model: {} as never, logger: silentLogger() },
      dir: '/nonexistent',
      clone: () => Promise.resolve(),
    }),
}));

const { runFixJob } = await import('../../src/worker/fix-job.ts');

const BASE_SHA = 'b'.repeat(40);
const RESULT: FixResult = {
  verdict: 'plausible',
  patch: '',
  tests: { before: {}, after: {}, failToPass: [], passToFail: [], flaky: [] },
  environment: { setup: [], test: 'npm test', logParser: 'tap', origin: 'detected' } as unknown as FixResult['environment'],
  egressRefused: [],
  tokens: { prompt: 0, completion: 0 },
  timeMs: 1,
  chosen: 0,
  candidates: [],
};

const DATA: FixJobData = {
  v: 3,
  deliveryId: 'delivery-1',
  installationId: 5,
  repository: { id: 77, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
  requestedBy: 'alice',
  issue: { number: 12 },
  trigger: 'label',
};

let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-fix-job-kept-'));
  fixInputs.length = 0;
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

function deps(trajectories?: WorkerDeps['trajectories']): WorkerDeps {
  const octokit = {
    rest: {
      issues: { get: () => Promise.resolve({ data: { title: 'Widgets break', body: 'They do.' } }) },
      repos: { getBranch: () => Promise.resolve({ data: { commit: { sha: BASE_SHA } } }) },
    },
  };
  return {
    github: { installation: () => Promise.resolve(octokit), appSlug: () => Promise.resolve('swe-bot') } as unknown as WorkerDeps['github'],
    sandbox: {} as WorkerDeps['sandbox'],
    model: { name: 'Skywork-SWE-32B' } as WorkerDeps['model'],
    workDir: path.join(dataDir, 'work'),
    ...(trajectories === undefined ? {} : { trajectories }),
  };
}

const ctx = () => ({ jobId: 'fix-77-12', attempt: 1, signal: new AbortController().signal, logger: silentLogger() });

describe('runFixJob and kept trajectories', () => {
  it('hands the pipeline a folder under the data folder and adds meta.json naming the job', async () => {
    const dir = path.join(dataDir, 'trajectories');
    expect(await runFixJob(deps({ dir, keepDays: 30 }), DATA, ctx())).toEqual({ verdict: 'plausible' });
    const jobDir = path.join(dir, 'acme__widgets', '12-fix-77-12-delivery-1');
    expect(fixInputs[0]?.outDir).toBe(jobDir);
    expect((await fs.readdir(jobDir)).sort()).toEqual(['meta.json', 'result.json', 'trajectory-0.jsonl']);
    const meta = JSON.parse(await fs.readFile(path.join(jobDir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ repo: 'acme/widgets', issue: 12, commit: BASE_SHA, job: 'fix-77-12', model: 'Skywork-SWE-32B' });
    expect(Number.isNaN(Date.parse(String(meta['finishedAt'])))).toBe(false);
  });

  it('prunes the folders past their days after the job', async () => {
    const dir = path.join(dataDir, 'trajectories');
    const old = path.join(dir, 'acme__gadgets', '3-fix-78-3');
    await fs.mkdir(old, { recursive: true });
    const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
    await fs.utimes(old, longAgo, longAgo);
    await runFixJob(deps({ dir, keepDays: 30 }), DATA, ctx());
    expect(await fs.stat(old).then(() => true, () => false)).toBe(false);
    expect(await fs.stat(path.join(dir, 'acme__widgets', '12-fix-77-12-delivery-1', 'meta.json')).then(() => true, () => false)).toBe(true);
  });

  it('writes nothing when keeping is off (the default)', async () => {
    await runFixJob(deps(), DATA, ctx());
    expect(fixInputs[0]).toBeDefined();
    expect(fixInputs[0]?.outDir).toBeUndefined();
    expect(await fs.readdir(dataDir)).toEqual([]);
  });
});
