import { describe, expect, it } from 'vitest';
import { interleave, reversePatch } from '../../src/dataset/smith.ts';
import { issueText } from '../../src/dataset/smith-issue-text.ts';
import type { Mutation } from '../../src/dataset/mutate-js.ts';

const mutation = (kind: Mutation['kind'], file: string, line: number): Mutation => ({ kind, file, line, functionName: 'f', description: `${kind} at ${line}`, after: '' });

describe('smith helpers', () => {
  it('reverses a bug patch into its fix: sides and hunk ranges exchanged, headers kept', () => {
    const bug = ['diff --git a/lib.js b/lib.js', 'index 1111111..2222222 100644', '--- a/lib.js', '+++ b/lib.js', '@@ -3,3 +3,4 @@ function clamp(x, lo, hi) {', ' x', '-  if (x < lo) return lo;', '+  if (x >= lo) return lo;', '+  extra();', ' y', ''].join('\n');
    expect(reversePatch(bug)).toBe(
      ['diff --git a/lib.js b/lib.js', 'index 1111111..2222222 100644', '--- a/lib.js', '+++ b/lib.js', '@@ -3,4 +3,3 @@ function clamp(x, lo, hi) {', ' x', '+  if (x < lo) return lo;', '-  if (x >= lo) return lo;', '-  extra();', ' y', ''].join('\n'),
    );
    expect(reversePatch(reversePatch(bug))).toBe(bug);
  });

  it('spreads the candidates over kinds, in an order fixed by the seed', () => {
    const all = [mutation('flip_comparison', 'a.js', 1), mutation('flip_comparison', 'a.js', 2), mutation('flip_comparison', 'b.js', 3), mutation('remove_guard', 'a.js', 4), mutation('off_by_one', 'c.js', 5)];
    const order = interleave(all, 'commit-1');
    expect(order).toHaveLength(5);
    expect(order.slice(0, 3).map((item) => item.kind).sort()).toEqual(['flip_comparison', 'off_by_one', 'remove_guard']);
    expect(interleave(all, 'commit-1')).toEqual(order);
    expect(new Set(interleave(all, 'commit-2'))).toEqual(new Set(order));
  });

  it('writes an issue from the failing tests and the output, without the change', () => {
    const text = issueText(['clamp raises low values', 'a `quoted` test'], 'not ok 2 - clamp raises low values\n  expected: 0\n  actual: -3\n```');
    expect(text).toMatch(/^2 tests fail on the current code:/);
    expect(text).toContain('- `clamp raises low values`');
    expect(text).toContain("- `a 'quoted' test`");
    expect(text).toContain('actual: -3');
    // The output cannot close the fence.
    expect(text.split('```').length).toBe(3);
  });
});
