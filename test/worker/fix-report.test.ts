/**
 * The texts people read about a job (pull-request body, failure comment,
 * review body, check run) and the patch → files step that feeds the Git Data
 * API, on a real git repository.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FixResult } from '../../src/jobs/fix.ts';
import { fixNotVerified, fixPullRequest } from '../../src/worker/fix-report.ts';
import { patchFiles } from '../../src/worker/patch-files.ts';
import type { ReviewResult } from '../../src/jobs/review.ts';
import { reviewBody, reviewCheck } from '../../src/worker/review-report.ts';
import { gitIn } from '../helpers/git-fixture.ts';

const candidate = (index: number, verdict: FixResult['verdict'], patch: string): FixResult['candidates'][number] => ({
  index,
  verdict,
  patch,
  agent: { exit: verdict === 'no_patch' ? 'max_iterations' : 'finished', reason: 'the iteration budget (5) ran out', iterations: 5, taskCompleted: true },
  moves: { failToPass: [], passToPass: [], passToFail: [], failToFail: [] },
  after: {},
  tokens: { prompt: 1000, completion: 200 },
});

const fixResult = (verdict: FixResult['verdict']): FixResult => ({
  verdict,
  patch: 'diff --git a/x b/x\n',
  tests: {
    before: { a: 'PASSED', b: 'PASSED' },
    after: { a: 'PASSED', b: 'PASSED', 'new `repro`': 'PASSED' },
    failToPass: verdict === 'verified' ? ['new `repro`'] : [],
    passToFail: [],
  },
  tokens: { prompt: 2000, completion: 400 },
  timeMs: 61_000,
  chosen: 1,
  candidates: [candidate(0, 'no_patch', ''), candidate(1, verdict, 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-```\n+fixed\n')],
});

describe('fix reports', () => {
  it('puts Fixes #N, the marker and the evidence in the pull request', () => {
    const pr = fixPullRequest(fixResult('verified'), { issueNumber: 12, issueTitle: 'add() concatenates', model: 'Skywork-SWE-32B' });
    expect(pr.title).toBe('Fix #12: add() concatenates');
    expect(pr.body.split('\n').slice(0, 2)).toEqual(['<!-- swe-bot:fix issue=12 -->', 'Fixes #12']);
    expect(pr.body).toContain('| before | 2 | 2 |');
    expect(pr.body).toContain('| after | 3 | 3 |');
    expect(pr.body).toContain("- `new 'repro'`");
    expect(pr.body).toContain('| 1 (chosen) | verified | 5 | 1200 |');
    expect(pr.body).toContain('Model Skywork-SWE-32B · 2,400 tokens');
  });

  it('says what was tried and shows the best attempt collapsed, fenced safely', () => {
    const text = fixNotVerified(fixResult('plausible'), { issueNumber: 12, issueTitle: 't', model: 'm' });
    expect(text).toContain('- candidate 0: no_patch — stopped (the iteration budget (5) ran out) after 5 steps');
    expect(text).toContain('<details><summary>Best attempt (candidate 1, plausible)</summary>');
    expect(text).toContain('````diff\n');
  });
});

const reviewResult = (overrides: Partial<ReviewResult['tests']> = {}): ReviewResult => ({
  base: 'b'.repeat(40),
  head: 'h'.repeat(40),
  mergeBase: 'b'.repeat(40),
  complete: true,
  summary: 'Looks risky.',
  comments: [
    { path: 'a.js', line: 3, side: 'RIGHT', severity: 'critical', body: 'Crash.\n\n```suggestion\nfix()\n```' },
    { path: 'a.js', line: 2, side: 'LEFT', severity: 'minor', body: 'Old line.' },
  ],
  filesNotReviewed: [],
  foldedComments: 0,
  skippedAsReviewed: 2,
  tests: { head: {}, headValid: true, counts: { passed: 3, failed: 1, skipped: 0 }, newFailures: ['t1'], preexistingFailures: [], fixed: [], base: {}, ...overrides },
  model: { exit: 'finished', reason: 'done', iterations: 3, tokens: { prompt: 900, completion: 100 } },
  timeMs: 4_000,
});

describe('review reports', () => {
  it('writes the body with the tests, and a failing check with annotations for head-side findings', () => {
    const result = reviewResult();
    expect(reviewBody(result, 'm')).toBe(
      'Looks risky.\n\n**Tests:** 3 passed, 1 failed: 1 new with this change, 0 already failing at the base.\n\n' +
        '<sub>2 finding(s) on lines reviewed before were left out.</sub>\n\n<sub>Model m · 1,000 tokens · 4 s</sub>',
    );
    const check = reviewCheck(result);
    expect(check).toMatchObject({ conclusion: 'failure', title: '1 test(s) fail with this change' });
    expect(check.text).toContain('### Failing since this change\n- `t1`');
    expect(check.annotations).toEqual([
      { path: 'a.js', start_line: 3, end_line: 3, annotation_level: 'failure', title: 'swe-bot: critical', message: 'Crash.' },
    ]);
  });

  it('is neutral when the tests could not run, success when they pass', () => {
    expect(reviewCheck(reviewResult({ headValid: false, headProblem: 'timed out' })).conclusion).toBe('neutral');
    expect(reviewCheck(reviewResult({ newFailures: [], counts: { passed: 4, failed: 0, skipped: 0 } }))).toMatchObject({ conclusion: 'success', title: 'Tests pass (4)' });
  });
});

describe('patchFiles', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-patch-files-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the new content, mode and deletions of a patch without touching the working tree', async () => {
    gitIn(dir, 'init', '-q');
    fs.writeFileSync(path.join(dir, 'keep.js'), 'one\n');
    fs.writeFileSync(path.join(dir, 'gone.js'), 'bye\n');
    gitIn(dir, 'add', '-A');
    gitIn(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'base');
    const base = gitIn(dir, 'rev-parse', 'HEAD');
    const patch = [
      'diff --git a/keep.js b/keep.js',
      '--- a/keep.js',
      '+++ b/keep.js',
      '@@ -1 +1 @@',
      '-one',
      '+two',
      'diff --git a/gone.js b/gone.js',
      'deleted file mode 100644',
      '--- a/gone.js',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-bye',
      'diff --git a/bin/run.sh b/bin/run.sh',
      'new file mode 100755',
      '--- /dev/null',
      '+++ b/bin/run.sh',
      '@@ -0,0 +1 @@',
      '+echo hi',
      '',
    ].join('\n');
    const files = await patchFiles(dir, base, patch);
    expect(files.map((file) => [file.path, file.content?.toString() ?? null, file.mode ?? null])).toEqual([
      ['bin/run.sh', 'echo hi\n', '100755'],
      ['gone.js', null, null],
      ['keep.js', 'two\n', '100644'],
    ]);
    expect(fs.readFileSync(path.join(dir, 'keep.js'), 'utf8')).toBe('one\n');
    expect(gitIn(dir, 'status', '--porcelain')).toBe('');
    await expect(patchFiles(dir, base, patch.replace('-one', '-three'))).rejects.toThrow(/the fix does not apply to [0-9a-f]{12} on the host/);
  });
});
