import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepTrajectories } from '../../src/worker/kept-trajectories.ts';

let dataDir: string;

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-kept-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const job = { owner: 'acme', repo: 'widgets', issueNumber: 12, jobId: 'fix-77-12', deliveryId: 'd1' };

describe('keepTrajectories', () => {
  it('gives each request a folder <owner>__<repo>/<issue>-<job id>-<delivery> and writes meta.json when it ends', async () => {
    const dir = path.join(dataDir, 'trajectories');
    const kept = await keepTrajectories({ dir, keepDays: 7 }, job, () => new Date('2026-06-30T12:00:00Z'));
    expect(kept?.outDir).toBe(path.join(dir, 'acme__widgets', '12-fix-77-12-d1'));
    await kept?.finish({ commit: 'a'.repeat(40), model: 'Skywork-SWE-32B' });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'acme__widgets', '12-fix-77-12-d1', 'meta.json'), 'utf8'))).toEqual({
      repo: 'acme/widgets',
      issue: 12,
      commit: 'a'.repeat(40),
      job: 'fix-77-12',
      model: 'Skywork-SWE-32B',
      finishedAt: '2026-06-30T12:00:00.000Z',
    });
  });

  it('keeps a later request on the same issue apart from an earlier one', async () => {
    const dir = path.join(dataDir, 'trajectories');
    const first = await keepTrajectories({ dir, keepDays: 7 }, job);
    await fs.mkdir(first?.outDir ?? '', { recursive: true });
    await fs.writeFile(path.join(first?.outDir ?? '', 'trajectory-0.jsonl'), '{}\n');
    const later = await keepTrajectories({ dir, keepDays: 7 }, { ...job, deliveryId: 'd2' });
    expect(later?.outDir).not.toBe(first?.outDir);
    expect(await fs.readdir(first?.outDir ?? '')).toEqual(['trajectory-0.jsonl']);
  });

  it('starts a retried attempt clean: the earlier attempt\'s files go', async () => {
    const dir = path.join(dataDir, 'trajectories');
    const first = await keepTrajectories({ dir, keepDays: 7 }, job);
    await fs.mkdir(first?.outDir ?? '', { recursive: true });
    await fs.writeFile(path.join(first?.outDir ?? '', 'trajectory-1.jsonl'), '{}\n');
    const again = await keepTrajectories({ dir, keepDays: 7 }, job);
    expect(await fs.readdir(again?.outDir ?? '').catch(() => [])).toEqual([]);
  });

  it('keeps each name one path segment', async () => {
    const kept = await keepTrajectories({ dir: dataDir, keepDays: 1 }, { owner: '..', repo: 'a/b', issueNumber: 3, jobId: '../../etc', deliveryId: '..' });
    expect(path.relative(dataDir, kept?.outDir ?? '').split(path.sep)).toEqual(['____a_b', '3-.._.._etc-__']);
  });

  it('is off, and writes nothing, without settings or with 0 days', async () => {
    const dir = path.join(dataDir, 'trajectories');
    expect(await keepTrajectories(undefined, job)).toBeUndefined();
    expect(await keepTrajectories({ dir, keepDays: 0 }, job)).toBeUndefined();
    expect(await fs.readdir(dataDir)).toEqual([]);
  });
});
