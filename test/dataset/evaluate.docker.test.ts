/**
 * `swe-bot evaluate` end to end on a small dataset made here: a real git
 * mirror, real containers, real node:test runs; and its bad inputs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../src/dataset/evaluate.ts';
import { gitIn } from '../helpers/git-fixture.ts';
import { runCli } from '../helpers/cli.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-eval-'));
const mirrors = path.join(work, 'repos');
let base = '';

const BUGGY = `'use strict';\nfunction add(a, b) {\n  return a + b;\n}\nmodule.exports = { add };\n`;
const FIXED = BUGGY.replace('return a + b;', 'return Number(a) + Number(b);');
const OLD_TESTS = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../index.js');

test('adds two numbers', () => {
  assert.strictEqual(add(2, 3), 5);
});
`;
const NEW_TESTS = `${OLD_TESTS}
test('adds numeric strings', () => {
  assert.strictEqual(add('2', '3'), 5);
});
`;

function diff(file: string, before: string, after: string): string {
  const dir = fs.mkdtempSync(path.join(work, 'diff-'));
  fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
  gitIn(dir, 'init', '-q');
  fs.writeFileSync(path.join(dir, file), before);
  gitIn(dir, 'add', '-A');
  gitIn(dir, 'commit', '-q', '-m', 'before');
  fs.writeFileSync(path.join(dir, file), after);
  return `${gitIn(dir, 'diff')}\n`;
}

const SPEC = { language: 'node', install: [], test_cmd: 'node --test --test-reporter=tap', log_parser: 'tap', timeout_s: 120 };

function instance(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    instance_id: id,
    repo: 'local/calc',
    base_commit: base,
    patch: diff('index.js', BUGGY, FIXED),
    test_patch: diff('test/add.test.js', OLD_TESTS, NEW_TESTS),
    problem_statement: 'add("2", "3") returns "23"',
    FAIL_TO_PASS: ['adds numeric strings'],
    PASS_TO_PASS: JSON.stringify(['adds two numbers']),
    spec: SPEC,
    ...extra,
  });
}

beforeAll(() => {
  const repo = path.join(mirrors, 'local__calc');
  fs.mkdirSync(path.join(repo, 'test'), { recursive: true });
  fs.writeFileSync(path.join(repo, 'package.json'), '{ "name": "calc", "version": "1.0.0", "private": true }\n');
  fs.writeFileSync(path.join(repo, 'index.js'), BUGGY);
  fs.writeFileSync(path.join(repo, 'test', 'add.test.js'), OLD_TESTS);
  gitIn(repo, 'init', '-q');
  gitIn(repo, 'add', '-A');
  gitIn(repo, 'commit', '-q', '-m', 'buggy add');
  base = gitIn(repo, 'rev-parse', 'HEAD');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function evaluate(dataset: string, predictions: string, extra: string[] = []) {
  const datasetFile = path.join(work, `dataset-${Math.random().toString(36).slice(2)}.jsonl`);
  fs.writeFileSync(datasetFile, dataset);
  const reportFile = path.join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const run = await runCli(['evaluate', '--dataset', datasetFile, '--predictions', predictions, '--repos', mirrors, '--report', reportFile, ...extra]);
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as EvaluationReport;
  return { ...run, report, logs: reportFile.replace(/\.json$/, '.logs') };
}

describe('swe-bot evaluate', () => {
  it('resolves the gold patch and not the empty one, with SWE-bench-shaped reports and logs', async () => {
    const dataset = `${instance('calc-1')}\n`;
    const gold = await evaluate(dataset, 'gold');
    expect(gold.code).toBe(0);
    expect(gold.stdout.trim().split('\n').at(-1)).toBe('1 resolved, 0 unresolved, 0 errors');
    expect(gold.report).toMatchObject({ total: 1, resolved_ids: ['calc-1'], error_ids: [], empty_patch_ids: [] });
    expect(gold.report.instances['calc-1']).toMatchObject({
      status: 'FULL',
      resolved: true,
      patch_applied: true,
      tests_status: {
        FAIL_TO_PASS: { success: ['adds numeric strings'], failure: [] },
        PASS_TO_PASS: { success: ['adds two numbers'], failure: [] },
      },
    });
    const logs = path.join(gold.logs, 'calc-1');
    expect(fs.readFileSync(path.join(logs, 'run_instance.log'), 'utf8')).toContain('>>>>> Applied Patch');
    expect(fs.readFileSync(path.join(logs, 'test_output.txt'), 'utf8')).toContain('>>>>> End Test Output');

    const empty = await evaluate(dataset, 'empty');
    expect(empty.report).toMatchObject({ resolved_ids: [], unresolved_ids: ['calc-1'], empty_patch_ids: ['calc-1'] });
    expect(empty.stdout.trim()).toBe('0 resolved, 1 unresolved, 0 errors');
  });

  it('grades a wrong fix as unresolved (the new test still fails)', async () => {
    const predictions = path.join(work, 'wrong.jsonl');
    fs.writeFileSync(predictions, `${JSON.stringify({ instance_id: 'calc-1', model_name_or_path: 'm', model_patch: diff('index.js', BUGGY, BUGGY.replace('return a + b;', 'return a + b; // looked at it')) })}\n`);
    const wrong = await evaluate(`${instance('calc-1')}\n`, predictions);
    expect(wrong.report.instances['calc-1']).toMatchObject({
      status: 'NO',
      resolved: false,
      tests_status: { FAIL_TO_PASS: { success: [], failure: ['adds numeric strings'] } },
    });
  });

  it('reports bad input and still runs the rest', async () => {
    const dataset = [
      instance('good'),
      '{"instance_id": "broken-line",',
      instance('no-base', { base_commit: 'b'.repeat(40) }),
      instance('hangs', { spec: { ...SPEC, test_cmd: 'echo "suite started"; sleep 600', timeout_s: 2 } }),
      instance('bad-patch'),
    ].join('\n');
    const predictions = path.join(work, 'mixed.jsonl');
    const gold = diff('index.js', BUGGY, FIXED);
    const lines = [
      { instance_id: 'good', model_patch: gold },
      { instance_id: 'no-base', model_patch: gold },
      { instance_id: 'hangs', model_patch: gold },
      { instance_id: 'bad-patch', model_patch: 'diff --git a/nowhere.js b/nowhere.js\n--- a/nowhere.js\n+++ b/nowhere.js\n@@ -1 +1 @@\n-x\n+y\n' },
      { instance_id: 'not-in-dataset', model_patch: gold },
    ];
    fs.writeFileSync(predictions, lines.map((line) => JSON.stringify({ model_name_or_path: 'm', ...line })).join('\n'));
    const run = await evaluate(dataset, predictions, ['--workers', '2']);
    expect(run.code).toBe(0);
    expect(run.report.dataset_errors).toEqual([expect.objectContaining({ file: 'dataset', line: 2 })]);
    expect(run.stderr).toMatch(/dataset line 2: not valid JSON/);
    expect(run.report.resolved_ids).toEqual(['good']);
    expect(run.report.error_ids).toEqual(['no-base']);
    expect(run.report.errors['no-base']).toMatch(/no commit b{40}/);
    expect(run.report.instances['bad-patch']).toMatchObject({ patch_applied: false, resolved: false });
    expect(run.report.instances.hangs).toMatchObject({ resolved: false, timed_out: true, invalid: 'the tests timed out' });
    expect(fs.readFileSync(path.join(run.logs, 'hangs', 'test_output.txt'), 'utf8')).toMatch(/suite started[\s\S]*>>>>> Tests Timed Out/);
    expect(run.report.unknown_prediction_ids).toEqual(['not-in-dataset']);
    expect(run.stderr).toContain('prediction for unknown instance not-in-dataset');
    expect(run.stdout.trim()).toBe('1 resolved, 2 unresolved, 1 errors');
  });

  it('runs only the instances asked for', async () => {
    const run = await evaluate(`${instance('one')}\n${instance('two')}\n`, 'empty', ['--instance-ids', 'two']);
    expect(run.report.total).toBe(1);
    expect(run.report.unresolved_ids).toEqual(['two']);
  });
});
