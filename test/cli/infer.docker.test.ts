/**
 * `swe-bot infer` end to end: a scripted model fixes one instance of a small
 * dataset in real containers; the other instance's repository is missing.
 * The predictions are resumable, and `swe-bot evaluate` resolves them, which
 * proves the format end to end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../src/dataset/evaluate.ts';
import type { FixResult } from '../../src/jobs/fix.ts';
import { fixtureRepo, gitIn, type FixtureRepo } from '../helpers/git-fixture.ts';
import { runCli } from '../helpers/cli.ts';
import { startScriptedModel, type RecordedRequest } from '../helpers/scripted-model.ts';
import { call } from '../helpers/smith-fixture.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-infer-'));
const mirrors = path.join(work, 'repos');
const ISSUE = 'add("2", "3") returns "23" instead of 5.';
const BUGGY_LINE = "  if (typeof a === 'string' || typeof b === 'string') return a + b;\n";
const GOLD_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;
const FIX_MESSAGE = 'gold fix: numeric strings';

let repo: FixtureRepo;
let datasetFile = '';


/** Looks around (the history and the tests it can see), removes the buggy line, finishes. */
const STEPS = [
  call('execute_bash', { command: 'git log --all --format=%s; ls test' }),
  call('str_replace_editor', { command: 'str_replace', path: '/testbed/index.js', old_str: BUGGY_LINE, new_str: '' }),
  call('finish', { message: 'Strings were concatenated; removed that branch.' }),
];

const byStep = (request: RecordedRequest): string =>
  STEPS[request.body.messages.filter((message) => message.role === 'assistant').length] ?? call('finish', { message: 'out of script' });

beforeAll(() => {
  // The mirror holds the history after the base commit too (the gold fix and
  // its test), as real mirrors do; the agent must never see it.
  repo = fixtureRepo('node-repo');
  const index = fs.readFileSync(path.join(repo.dir, 'index.js'), 'utf8');
  const buggy = index.replace("throw new TypeError('add expects numbers');\n", `throw new TypeError('add expects numbers');\n${BUGGY_LINE}`);
  const base = repo.commit({ 'index.js': buggy }, 'strings slip through');
  const fixed = repo.commit({ 'index.js': index, 'test/strings.test.js': GOLD_TEST }, FIX_MESSAGE);
  fs.mkdirSync(mirrors, { recursive: true });
  gitIn(mirrors, 'clone', '-q', '--bare', repo.dir, path.join(mirrors, 'local__calc'));
  const instance = (id: string, name: string) => ({
    instance_id: id,
    repo: name,
    base_commit: base,
    patch: `${gitIn(repo.dir, 'diff', base, fixed, '--', 'index.js')}\n`,
    test_patch: `${gitIn(repo.dir, 'diff', base, fixed, '--', 'test')}\n`,
    problem_statement: ISSUE,
    FAIL_TO_PASS: ['adds numeric strings'],
    PASS_TO_PASS: ['adds two numbers', 'rejects strings that are not numbers'],
  });
  datasetFile = path.join(work, 'dataset.jsonl');
  fs.writeFileSync(datasetFile, [instance('calc-1', 'local/calc'), instance('gone-1', 'local/gone')].map((line) => JSON.stringify(line)).join('\n'));
});
afterAll(() => {
  repo?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('swe-bot infer', () => {
  it('writes SWE-bench predictions, resumes, and the predictions evaluate as resolved', async () => {
    const predictions = path.join(work, 'preds.jsonl');
    const out = path.join(work, 'runs');
    const model = await startScriptedModel({ replies: Array.from({ length: 20 }, () => byStep) });
    const env = { OPENAI_BASE_URL: model.url, SWE_BOT_MODEL: 'scripted-model', SWE_BOT_TOOL_FORMAT: 'text' };
    const args = ['infer', '--dataset', datasetFile, '--output', predictions, '--repos', mirrors, '--out', out];
    try {
      const first = await runCli(args, env);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout.trim().split('\n').at(-1)).toBe('1 predictions, 1 errors');
      // The good instance is written; the one whose repository is missing is reported, not written.
      const lines = fs.readFileSync(predictions, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
      expect(lines).toHaveLength(1);
      expect(Object.keys(lines[0] ?? {}).sort()).toEqual(['instance_id', 'model_name_or_path', 'model_patch']);
      expect(lines[0]).toMatchObject({ instance_id: 'calc-1', model_name_or_path: 'scripted-model' });
      expect(lines[0]?.model_patch).toContain(`-${BUGGY_LINE}`);
      expect(first.stderr).toMatch(/\[2\/2\] gone-1 · error: no offline mirror .*local__gone/);
      // Progress: plain lines per stage, led by the instance.
      expect(first.stderr).toMatch(/\[1\/2\] calc-1 · environment: [\s\S]*\[1\/2\] calc-1 · candidate 0 · agent: started[\s\S]*\[1\/2\] calc-1 · done: plausible/);
      // Trajectory and result per instance under --out; the failure's reason beside them.
      const result = JSON.parse(fs.readFileSync(path.join(out, 'calc-1', 'result.json'), 'utf8')) as FixResult;
      expect(result.patch).toBe(lines[0]?.model_patch);
      expect(fs.existsSync(path.join(out, 'calc-1', 'trajectory-0.jsonl'))).toBe(true);
      expect(fs.readFileSync(path.join(out, 'gone-1', 'error.txt'), 'utf8')).toContain('no offline mirror');

      // The agent saw the problem statement, not the gold patch, its test or the later history.
      const seen = JSON.stringify(model.requests.map((request) => request.body.messages));
      expect(seen).toContain('returns \\"23\\" instead of 5');
      expect(seen).toContain('strings slip through');
      for (const hidden of [FIX_MESSAGE, 'strings.test.js', 'adds numeric strings']) expect(seen).not.toContain(hidden);

      // A second run skips what is done and retries what failed.
      const requests = model.requests.length;
      const second = await runCli(args, env);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).toContain('1 already in preds.jsonl, skipped');
      expect(second.stdout.trim()).toBe('0 predictions, 1 errors');
      expect(model.requests.length).toBe(requests);
      expect(fs.readFileSync(predictions, 'utf8').trim().split('\n')).toHaveLength(1);
    } finally {
      await model.close();
    }

    const reportFile = path.join(work, 'report.json');
    const evaluated = await runCli(['evaluate', '--dataset', datasetFile, '--predictions', predictions, '--repos', mirrors, '--report', reportFile]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as EvaluationReport;
    expect(report).toMatchObject({ resolved_ids: ['calc-1'], empty_patch_ids: ['gone-1'], error_ids: [] });
    expect(evaluated.stdout.trim()).toBe('1 resolved, 1 unresolved, 0 errors');
  });

  it('refuses bad arguments with the usage', async () => {
    const missing = await runCli(['infer', '--dataset', datasetFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^usage: swe-bot infer --dataset F\.jsonl --output PREDS\.jsonl/);
    const wrong = await runCli(['infer', '--dataset', datasetFile, '--output', path.join(work, 'x.jsonl'), '--candidates', '0']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^--candidates must be a whole number ≥ 1, not "0"\nusage: swe-bot infer/);
  });
});
