/** `swe-bot export-trajectories` on run folders written by hand (test/helpers/trajectory-runs.ts): no model, no Docker. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { RUN_SECRET, writeRunFixtures } from '../helpers/trajectory-runs.ts';

let root: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-export-cli-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const ids = async (file: string): Promise<string[]> =>
  (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { instance_id: string }).instance_id);

describe('swe-bot export-trajectories', () => {
  it('writes the verified conversations of the folders given, lists what it skipped, ends with the summary', async () => {
    const { inferDir, appDir } = await writeRunFixtures(root);
    const output = path.join(root, 'train.jsonl');
    // The configuration's secrets are redacted: the model key stands for any of them.
    const result = await runCli(['export-trajectories', '--runs', `${inferDir},${appDir}`, '--output', output], { OPENAI_API_KEY: RUN_SECRET });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('3 conversations written (2 not verified, 3 skipped)\n');
    expect(result.stderr).toContain(`skipped ${path.join(inferDir, 'acme__lib-4')}: trajectory-0.jsonl line 3: not valid JSON`);
    expect(result.stderr).toContain(`skipped ${path.join(inferDir, 'acme__lib-5')}: the run failed: the environment build failed`);
    expect(await ids(output)).toEqual(['acme__lib-1', 'acme__lib-2', 'acme__widgets-12']);
    const text = await fs.readFile(output, 'utf8');
    expect(text).not.toContain(RUN_SECRET);
    expect(text).toContain('[redacted]');
  });

  it('reads the App\'s trajectories folder by default; --runs repeats; --all and --json', async () => {
    const { inferDir } = await writeRunFixtures(root);
    const output = path.join(root, 'all.jsonl');
    const byDefault = await runCli(['export-trajectories', '--output', output, '--json'], { SWE_BOT_DATA_DIR: path.join(root, 'data') });
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toMatchObject({ output, runs: 2, written: ['acme__widgets-12'], skipped: [] });

    const all = await runCli(['export-trajectories', '--runs', inferDir, '--runs', path.join(root, 'data', 'trajectories'), '--all', '--output', output]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe('5 conversations written (0 not verified, 3 skipped)\n');
    expect(await ids(output)).toContain('acme__widgets-13');
  });

  it('filters infer runs by --report', async () => {
    const { inferDir } = await writeRunFixtures(root);
    const report = path.join(root, 'report.json');
    await fs.writeFile(report, JSON.stringify({ resolved_ids: ['acme__lib-2'], unresolved_ids: ['acme__lib-1', 'acme__lib-3'] }));
    const output = path.join(root, 'resolved.jsonl');
    const result = await runCli(['export-trajectories', '--runs', inferDir, '--report', report, '--output', output]);
    expect(result.code, result.stderr).toBe(0);
    expect(await ids(output)).toEqual(['acme__lib-2']);
  });

  it('exits 1 naming the folder when there is nothing to read, as before keeping was turned on', async () => {
    const result = await runCli(['export-trajectories', '--output', path.join(root, 'x.jsonl')], { SWE_BOT_DATA_DIR: path.join(root, 'empty-data') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(root, 'empty-data', 'trajectories')}: no such folder`);
    expect(result.stderr).toMatch(/hint: .*SWE_BOT_KEEP_TRAJECTORIES_DAYS/);
  });

  it('exits 2 without --output', async () => {
    const result = await runCli(['export-trajectories', '--runs', root]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: swe-bot export-trajectories');
  });
});
