/** The texts people read about a review: the review body and the check run. */
import { describe, expect, it } from 'vitest';
import type { ReviewResult } from '../../src/jobs/review.ts';
import { reviewBody, reviewCheck } from '../../src/worker/review-report.ts';

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
  egressRefused: [],
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
