/**
 * `swe-bot smith` end to end (issue #13) on a small library with tests:
 * candidate bugs are validated by running the tests, the dataset and its
 * mirror are written, `swe-bot evaluate` resolves every instance with the
 * gold patches and none with empty ones, and the mirror keeps no commit of
 * the original history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git } from '../../src/util/git.ts';
import { runCli } from '../helpers/cli.ts';
import { fixtureRepo, type FixtureRepo } from '../helpers/git-fixture.ts';

const LIB = `'use strict';
/** Keeps x within [lo, hi]. */
function clamp(x, lo, hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/** The numbers 0 … n-1. */
function range(n) {
  const out = [];
  for (let i = 0; i < n; i += 1) out.push(i);
  return out;
}

/** Whether every item passes. */
function every(items, test) {
  let ok = true;
  for (const item of items) ok = ok && test(item);
  return ok;
}

module.exports = { clamp, range, every };
`;

const LIB_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { clamp, range, every } = require('../lib.js');

test('clamp keeps values inside', () => assert.strictEqual(clamp(5, 0, 10), 5));
test('clamp raises low values', () => assert.strictEqual(clamp(-3, 0, 10), 0));
test('clamp lowers high values', () => assert.strictEqual(clamp(12, 0, 10), 10));
test('range counts from zero', () => assert.deepStrictEqual(range(3), [0, 1, 2]));
test('range of zero is empty', () => assert.deepStrictEqual(range(0), []));
test('every is true when all pass', () => assert.strictEqual(every([2, 4], (x) => x % 2 === 0), true));
test('every is false when one fails', () => assert.strictEqual(every([2, 3], (x) => x % 2 === 0), false));
`;

const repos: FixtureRepo[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const repo of repos) repo.remove();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface SmithJson {
  candidates: number;
  tried: number;
  validated: number;
  perKind: Record<string, { tried: number; validated: number }>;
  dataset: string;
  repos: string;
}

interface Line {
  instance_id: string;
  base_commit: string;
  patch: string;
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  problem_statement: string;
  smith: { kind: string; file: string };
}

describe('swe-bot smith', () => {
  it('writes validated bugs as a dataset that evaluate resolves with the gold patches and not with empty ones', async () => {
    const repo = fixtureRepo('node-repo');
    repos.push(repo);
    repo.commit({ 'lib.js': LIB, 'test/lib.test.js': LIB_TEST });
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-smith-'));
    dirs.push(out);
    const env = { SWE_BOT_DATA_DIR: path.join(out, 'data') };

    // More bugs than the library's single changes give: pairs of validated bugs of one file make up the rest.
    const made = await runCli(['smith', '--repo', repo.dir, '--count', '40', '--max-candidates', '60', '--out', out, '--json'], env);
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout) as SmithJson;
    expect(summary.candidates).toBeLessThan(40);
    expect(summary.validated).toBeGreaterThanOrEqual(summary.candidates / 3);
    expect(summary.tried).toBeLessThanOrEqual(60);
    expect(summary.perKind.combined?.validated).toBeGreaterThan(0);
    expect(Object.values(summary.perKind).reduce((sum, kind) => sum + kind.validated, 0)).toBe(summary.validated);

    const lines = fs.readFileSync(path.join(out, 'dataset.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Line);
    expect(lines).toHaveLength(summary.validated);
    for (const line of lines) {
      expect(line.FAIL_TO_PASS.length).toBeGreaterThan(0);
      expect(line.PASS_TO_PASS.length).toBeGreaterThan(0);
      // The issue names the failing tests.
      expect(line.problem_statement).toContain(line.FAIL_TO_PASS[0]);
      expect(line.patch).toContain(`--- a/${line.smith.file}`);
    }

    // The mirror: parentless buggy commits only; the original commit and its history are gone.
    const mirror = path.join(out, 'repos', `local__${path.basename(repo.dir)}`);
    const original = (await git(['rev-parse', 'HEAD'], { cwd: repo.dir })).trim();
    await expect(git(['cat-file', '-e', `${original}^{commit}`], { cwd: mirror })).rejects.toThrow();
    for (const line of lines) {
      const parents = (await git(['rev-list', '--parents', '-n', '1', line.base_commit], { cwd: mirror })).trim().split(' ');
      expect(parents).toEqual([line.base_commit]);
    }
    expect((await git(['for-each-ref', '--format=%(refname)'], { cwd: mirror })).trim().split('\n').every((ref) => ref.startsWith('refs/heads/smith/'))).toBe(true);

    const dataset = path.join(out, 'dataset.jsonl');
    const repoArgs = ['--dataset', dataset, '--repos', path.join(out, 'repos'), '--workers', '1'];
    const gold = await runCli(['evaluate', ...repoArgs, '--predictions', 'gold', '--report', path.join(out, 'gold.json')], env);
    expect(gold.code, gold.stderr).toBe(0);
    const goldReport = JSON.parse(fs.readFileSync(path.join(out, 'gold.json'), 'utf8')) as { resolved_ids: string[]; total: number };
    expect(goldReport.resolved_ids.sort()).toEqual(lines.map((line) => line.instance_id).sort());
    const empty = await runCli(['evaluate', ...repoArgs, '--predictions', 'empty', '--report', path.join(out, 'empty.json')], env);
    expect(empty.code, empty.stderr).toBe(0);
    const emptyReport = JSON.parse(fs.readFileSync(path.join(out, 'empty.json'), 'utf8')) as { resolved_ids: string[] };
    expect(emptyReport.resolved_ids).toEqual([]);
  });
});
