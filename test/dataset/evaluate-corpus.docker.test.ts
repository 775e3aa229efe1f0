/**
 * The real-data check: the corpus of bug fixes from published npm packages
 * (../shared/corpus) built into a SWE-bench dataset with offline mirrors,
 * then evaluated in containers. Gold patches must resolve every instance and
 * empty patches none. The packages are fetched from the npm registry by the
 * corpus script at run time; nothing of theirs is stored in this project.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../src/dataset/evaluate.ts';
import { runCli } from '../helpers/cli.ts';

const CORPUS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
const present = fs.existsSync(path.join(CORPUS, 'build-dataset.mjs'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-corpus-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

// The corpus lives beside the project (../shared/corpus); a checkout without
// it has nothing to run here.
describe.skipIf(!present)('the npm bug-fix corpus', () => {
  let ids: string[] = [];

  it('builds into a dataset with offline mirrors', () => {
    execFileSync(process.execPath, [path.join(CORPUS, 'build-dataset.mjs'), path.join(CORPUS, 'recipes.json'), work], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
    const lines = fs.readFileSync(path.join(work, 'dataset.jsonl'), 'utf8').trim().split('\n');
    ids = lines.map((line) => (JSON.parse(line) as { instance_id: string }).instance_id).sort();
    const recipes = JSON.parse(fs.readFileSync(path.join(CORPUS, 'recipes.json'), 'utf8')) as unknown[];
    expect(ids).toHaveLength(recipes.length);
  }, 600_000);

  async function evaluate(predictions: 'gold' | 'empty'): Promise<{ report: EvaluationReport; stdout: string }> {
    const reportFile = path.join(work, `${predictions}.json`);
    const run = await runCli([
      'evaluate',
      '--dataset',
      path.join(work, 'dataset.jsonl'),
      '--predictions',
      predictions,
      '--repos',
      path.join(work, 'repos'),
      '--report',
      reportFile,
    ]);
    expect(run.code, run.stderr).toBe(0);
    return { report: JSON.parse(fs.readFileSync(reportFile, 'utf8')) as EvaluationReport, stdout: run.stdout };
  }

  it('resolves every instance with the gold patches', async () => {
    const { report, stdout } = await evaluate('gold');
    const unresolved = Object.fromEntries(
      Object.entries(report.instances)
        .filter(([, instance]) => !instance.resolved)
        .map(([id, instance]) => [id, { invalid: instance.invalid, failing: instance.tests_status }]),
    );
    expect({ errors: report.errors, unresolved }).toEqual({ errors: {}, unresolved: {} });
    expect(report.resolved_ids).toEqual(ids);
    expect(stdout.trim()).toBe(`${ids.length} resolved, 0 unresolved, 0 errors`);
  }, 3_600_000);

  it('resolves none with empty patches', async () => {
    const { report, stdout } = await evaluate('empty');
    expect(report.resolved_ids).toEqual([]);
    expect(report.empty_patch_ids).toEqual(ids);
    expect(stdout.trim()).toBe(`0 resolved, ${ids.length} unresolved, 0 errors`);
  }, 600_000);
});
