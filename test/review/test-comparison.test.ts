import { describe, expect, it } from 'vitest';
import type { TestResults } from '../../src/harness/test-status.ts';
import { compareTests, describeTests, needsBaseRun } from '../../src/review/test-comparison.ts';

describe('test comparison', () => {
  const results = (entries: Record<string, 'PASSED' | 'FAILED' | 'SKIPPED' | 'ERROR'>): TestResults => new Map(Object.entries(entries));

  it('runs the base only when the head fails, and tells new failures from old', () => {
    const head = results({ a: 'PASSED', b: 'FAILED', c: 'ERROR', d: 'SKIPPED', e: 'PASSED' });
    expect(needsBaseRun(results({ a: 'PASSED' }), true)).toBe(false);
    expect(needsBaseRun(head, true)).toBe(true);
    expect(needsBaseRun(results({}), false)).toBe(true);
    const compared = compareTests(head, results({ a: 'PASSED', b: 'PASSED', c: 'FAILED', e: 'FAILED' }));
    expect(compared).toMatchObject({ newFailures: ['b'], preexistingFailures: ['c'], fixed: ['e'], counts: { passed: 2, failed: 2, skipped: 1 } });
    expect(describeTests(compared)).toBe(
      'at the head 2 passed, 2 failed, 1 skipped. Failing since this change (they pass at the base): b. Already failing at the base: c. Fixed by this change: e.',
    );
    expect(describeTests(compareTests(results({}), undefined, 'the tests timed out after 60 s'))).toMatch(/could not be used \(the tests timed out/);
  });
});
