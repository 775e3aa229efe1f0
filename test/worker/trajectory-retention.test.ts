import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pruneTrajectories } from '../../src/worker/trajectory-retention.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse('2026-06-30T12:00:00Z');

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-retention-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A job folder with a file, its mtime `ageDays` before NOW. */
async function jobFolder(relative: string, ageDays: number): Promise<string> {
  const dir = path.join(root, relative);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'meta.json'), '{}\n');
  const when = new Date(NOW - ageDays * DAY_MS);
  await fs.utimes(dir, when, when);
  return dir;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

describe('pruneTrajectories', () => {
  it('removes the job folders older than the days kept and leaves the newer ones', async () => {
    const old = await jobFolder('acme__widgets/12-fix-1-12', 31);
    const otherOld = await jobFolder('acme__gadgets/3-fix-2-3', 45);
    const recent = await jobFolder('acme__widgets/14-fix-1-14', 29);
    const loose = path.join(root, 'acme__widgets', 'notes.txt');
    await fs.writeFile(loose, 'not a job folder\n');

    const { removed } = await pruneTrajectories({ dir: root, keepDays: 30, now: () => NOW });

    expect(removed.sort()).toEqual([otherOld, old].sort());
    expect(await exists(old)).toBe(false);
    expect(await exists(otherOld)).toBe(false);
    expect(await exists(recent)).toBe(true);
    expect(await exists(loose)).toBe(true);
  });

  it('removes a repository folder only once it has been empty for the days kept', async () => {
    await jobFolder('acme__gadgets/3-fix-2-3', 45);
    await pruneTrajectories({ dir: root, keepDays: 30, now: () => NOW });
    // Emptied just now: a job may be starting in it.
    expect(await exists(path.join(root, 'acme__gadgets'))).toBe(true);
    await pruneTrajectories({ dir: root, keepDays: 30, now: () => Date.now() + 31 * DAY_MS });
    expect(await exists(path.join(root, 'acme__gadgets'))).toBe(false);
  });

  it('does nothing when the folder does not exist yet', async () => {
    expect(await pruneTrajectories({ dir: path.join(root, 'missing'), keepDays: 7, now: () => NOW })).toEqual({ removed: [] });
  });

  it('removes nothing when keeping is off (0 days): what an earlier setting kept stays for export', async () => {
    const old = await jobFolder('acme__widgets/12-fix-1-12', 400);
    expect(await pruneTrajectories({ dir: root, keepDays: 0, now: () => NOW })).toEqual({ removed: [] });
    expect(await exists(old)).toBe(true);
  });
});
