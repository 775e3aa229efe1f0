import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportSummaryLine, exportTrajectories, type ExportedConversation } from '../../src/dataset/export-trajectories.ts';
import { createSecretRedactor, REDACTED } from '../../src/util/secret-redactor.ts';
import { RUN_SECRET, textTrajectory, writeRun, writeRunFixtures } from '../helpers/trajectory-runs.ts';

let root: string;
let output: string;

beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'swe-bot-export-'));
  output = path.join(root, 'out', 'train.jsonl');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function lines(): Promise<ExportedConversation[]> {
  const text = await fs.readFile(output, 'utf8');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ExportedConversation);
}

const byId = (conversations: ExportedConversation[], id: string): ExportedConversation | undefined => conversations.find((line) => line.instance_id === id);

describe('exportTrajectories', () => {
  it('writes the chosen trajectory of each verified run, infer and App alike, and says what it left out and why', async () => {
    const { inferDir, appDir } = await writeRunFixtures(root);
    const summary = await exportTrajectories({ runs: [inferDir, appDir], output });

    expect(summary.written).toEqual(['acme__lib-1', 'acme__lib-2', 'acme__widgets-12']);
    expect(summary.runs).toBe(8);
    expect(summary.notVerified.map(({ instance_id, verdict }) => [instance_id, verdict])).toEqual([
      ['acme__lib-3', 'plausible'],
      ['acme__widgets-13', 'regression'],
    ]);
    const reasons = Object.fromEntries(summary.skipped.map(({ run, reason }) => [path.basename(run), reason]));
    expect(Object.keys(reasons).sort()).toEqual(['acme__lib-4', 'acme__lib-5', 'acme__lib-6']);
    expect(reasons['acme__lib-4']).toMatch(/^trajectory-0\.jsonl line 3: not valid JSON/);
    expect(reasons['acme__lib-5']).toBe('the run failed: the environment build failed');
    expect(reasons['acme__lib-6']).toMatch(/^result\.json: not valid JSON/);
    expect(exportSummaryLine(summary)).toBe('3 conversations written (2 not verified, 3 skipped)');

    const written = await lines();
    expect(written.map((line) => line.instance_id)).toEqual(summary.written);
    // Candidate 1 was chosen: its conversation, not candidate 0's.
    const first = byId(written, 'acme__lib-1');
    expect(first?.messages[1]).toEqual({ role: 'user', content: 'candidate one' });
    expect(first?.verdict).toBe('verified');
    expect(byId(written, 'acme__widgets-12')?.messages[1]).toEqual({ role: 'user', content: 'app job' });
  });

  it('keeps the messages as the model saw them, without their usage, which is summed on the line', async () => {
    const { inferDir } = await writeRunFixtures(root);
    await exportTrajectories({ runs: [inferDir], output });
    const first = byId(await lines(), 'acme__lib-1');
    const expected = textTrajectory('candidate one', `\nTOKEN=${RUN_SECRET}`).map((message) => {
      const { usage: _usage, ...rest } = message as { usage?: unknown };
      return rest;
    });
    expect(first?.messages).toEqual(expected);
    expect(first?.messages.some((message) => 'usage' in message)).toBe(false);
    expect(String(first?.messages[2]?.['content'])).toContain('<function=execute_bash>');
    expect(first?.usage).toEqual({ prompt_tokens: 250, completion_tokens: 50 });
  });

  it('gives the tools with native-format conversations only', async () => {
    const { inferDir } = await writeRunFixtures(root);
    await exportTrajectories({ runs: [inferDir], output });
    const written = await lines();
    const native = byId(written, 'acme__lib-2');
    expect(native?.tools?.map((tool) => tool.function.name)).toEqual(['execute_bash', 'str_replace_editor', 'think', 'finish']);
    expect(native?.tools?.[0]).toMatchObject({ type: 'function', function: { parameters: { type: 'object', required: ['command'] } } });
    expect(native?.messages[2]).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_1' }] });
    expect(native?.usage).toEqual({ prompt_tokens: 7, completion_tokens: 3 });
    expect(byId(written, 'acme__lib-1')).not.toHaveProperty('tools');
  });

  it('redacts secrets by value, in the line as written', async () => {
    const { inferDir } = await writeRunFixtures(root);
    const redactor = createSecretRedactor();
    redactor.add(RUN_SECRET);
    await exportTrajectories({ runs: [inferDir], output, redactor });
    const text = await fs.readFile(output, 'utf8');
    expect(text).not.toContain(RUN_SECRET);
    expect(String(byId(await lines(), 'acme__lib-1')?.messages[3]?.['content'])).toContain(`TOKEN=${REDACTED}`);
  });

  it('with --all, exports the runs that are not verified too, with their verdict', async () => {
    const { inferDir, appDir } = await writeRunFixtures(root);
    const summary = await exportTrajectories({ runs: [inferDir, appDir], output, all: true });
    expect(summary.notVerified).toEqual([]);
    const verdicts = Object.fromEntries((await lines()).map((line) => [line.instance_id, line.verdict]));
    expect(verdicts).toEqual({ 'acme__lib-1': 'verified', 'acme__lib-2': 'verified', 'acme__lib-3': 'plausible', 'acme__widgets-12': 'verified', 'acme__widgets-13': 'regression' });
  });

  it('judges infer runs by an evaluate report: only resolved instances, named as the report names them', async () => {
    const { inferDir, appDir } = await writeRunFixtures(root);
    // infer names a folder by the id with unsafe characters replaced.
    await writeRun(path.join(inferDir, 'org_repo-7'), { verdict: 'plausible', chosen: 0, trajectories: { 0: textTrajectory('slashed id') } });
    const report = {
      file: 'report.json',
      text: JSON.stringify({ total: 4, resolved_ids: ['acme__lib-3', 'org/repo-7'], unresolved_ids: ['acme__lib-1'], error_ids: [], empty_patch_ids: [] }),
    };
    const summary = await exportTrajectories({ runs: [inferDir, appDir], output, report });

    expect(summary.written).toEqual(['acme__lib-3', 'org/repo-7', 'acme__widgets-12']);
    expect((await lines()).map((line) => line.verdict)).toEqual(['resolved', 'resolved', 'verified']);
    expect(summary.notVerified.map(({ instance_id, verdict }) => [instance_id, verdict])).toEqual([
      ['acme__lib-1', 'unresolved'],
      ['acme__widgets-13', 'regression'],
    ]);
    const reasons = Object.fromEntries(summary.skipped.map(({ run, reason }) => [path.basename(run), reason]));
    expect(reasons['acme__lib-2']).toBe('acme__lib-2 is not in the report');
  });

  it('reads a single run folder, or the App folder given one repository deep', async () => {
    const { inferDir, appDir } = await writeRunFixtures(root);
    expect((await exportTrajectories({ runs: [path.join(inferDir, 'acme__lib-2')], output })).written).toEqual(['acme__lib-2']);
    expect((await exportTrajectories({ runs: [path.join(appDir, 'acme__widgets')], output })).written).toEqual(['acme__widgets-12']);
  });

  it('refuses a runs folder that does not exist and a report that is not one, before writing anything', async () => {
    await expect(exportTrajectories({ runs: [path.join(root, 'nope')], output })).rejects.toThrow(/nope: no such folder/);
    const { inferDir } = await writeRunFixtures(root);
    await expect(exportTrajectories({ runs: [inferDir], output, report: { file: 'r.json', text: '{"total": 1}' } })).rejects.toThrow(/r\.json: not a swe-bot evaluate report \(resolved_ids/);
    await expect(fs.stat(output)).rejects.toThrow(/ENOENT/);
  });
});
