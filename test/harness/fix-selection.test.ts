import { describe, expect, it } from 'vitest';
import { isTestPath, normalizeDiff, selectBest, splitPatch, type Candidate } from '../../src/harness/fix-selection.ts';

const file = (name: string, line: string) => `diff --git a/${name} b/${name}\n--- a/${name}\n+++ b/${name}\n@@ -1 +1 @@\n-old\n+${line}\n`;

describe('best-of-N selection', () => {
  it('tells test files from source files', () => {
    for (const name of ['test/a.js', 'src/__tests__/x.ts', 'lib/a.test.js', 'pkg/a.spec.tsx', 'tests/test_x.py', 'x_test.py']) expect(isTestPath(name)).toBe(true);
    for (const name of ['src/index.js', 'lib/testing.js', 'contest.py']) expect(isTestPath(name)).toBe(false);
    const { tests, source } = splitPatch(file('src/a.js', 'fix') + file('test/a.test.js', 'repro'));
    expect(tests).toContain('test/a.test.js');
    expect(tests).not.toContain('src/a.js');
    expect(source).toContain('src/a.js');
  });

  const candidate = (verdict: Candidate['verdict'], patch: string, taskCompleted = true): Candidate => ({ verdict, patch, agent: { taskCompleted } });

  it('ranks by verdict, then agreement, then the agent\'s claim, then size', () => {
    const fixA = file('src/a.js', 'fix A');
    const fixB = file('src/a.js', 'fix B with more text');
    expect(selectBest([candidate('regression', fixA), candidate('verified', fixB)])).toBe(1);
    expect(selectBest([candidate('plausible', fixB), candidate('plausible', fixA), candidate('plausible', fixA)])).toBe(1);
    expect(selectBest([candidate('plausible', fixA, false), candidate('plausible', fixB, true)])).toBe(1);
    expect(selectBest([candidate('plausible', fixB), candidate('plausible', fixA)])).toBe(1);
  });

  it('drops empty, unappliable and test-only patches', () => {
    expect(selectBest([candidate('no_patch', ''), candidate('not_applied', file('src/a.js', 'x')), candidate('verified', file('test/a.test.js', 'only tests'))])).toBeUndefined();
  });

  it('normalizes diffs to their changed lines', () => {
    expect(normalizeDiff(file('src/a.js', 'x  =  1'))).toBe(normalizeDiff(file('src/a.js', 'x = 1')));
  });
});
