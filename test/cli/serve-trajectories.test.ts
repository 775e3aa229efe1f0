/**
 * `serve`'s job processors and SWE_BOT_KEEP_TRAJECTORIES_DAYS: when the
 * workers start, kept trajectories past their days are pruned; with the
 * default 0 nothing under the data folder is touched. No Docker, no Redis:
 * the processors are built, not run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobProcessors } from '../../src/cli/serve.ts';
import { silentLogger } from '../../src/logger.ts';
import type { WorkerContext } from '../../src/server/service.ts';
import { createSecretRedactor } from '../../src/util/secret-redactor.ts';
import { testConfig } from '../helpers/test-config.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-serve-kept-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function oldJobFolder(): Promise<string> {
  const dir = path.join(dataDir, 'trajectories', 'acme__widgets', '12-fix-77-12');
  await fs.mkdir(dir, { recursive: true });
  const longAgo = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
  await fs.utimes(dir, longAgo, longAgo);
  return dir;
}

function startWorkers(factory: Awaited<ReturnType<typeof jobProcessors>>, config: WorkerContext['config']): void {
  factory({ config, logger: silentLogger(), metrics: {} as never, sandbox: {} as never, github: {} as never, redactor: createSecretRedactor(), commentLock: {} as never });
}

const exists = (file: string): Promise<boolean> => fs.stat(file).then(() => true, () => false);

describe('serve: kept trajectories at worker start-up', () => {
  it('prunes the job folders older than SWE_BOT_KEEP_TRAJECTORIES_DAYS', async () => {
    const config = testConfig({ SWE_BOT_DATA_DIR: dataDir, SWE_BOT_KEEP_TRAJECTORIES_DAYS: '7' });
    const old = await oldJobFolder();
    startWorkers(await jobProcessors(config), config);
    await expect.poll(() => exists(old), { timeout: 2_000 }).toBe(false);
  });

  it('touches nothing when keeping is off', async () => {
    const config = testConfig({ SWE_BOT_DATA_DIR: dataDir, SWE_BOT_KEEP_TRAJECTORIES_DAYS: undefined });
    expect(config.keepTrajectoriesDays).toBe(0);
    const old = await oldJobFolder();
    startWorkers(await jobProcessors(config), config);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await exists(old)).toBe(true);
  });
});
