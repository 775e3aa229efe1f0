import { describe, expect, it } from 'vitest';
import { combinations, interleave, reversePatch, type SmithBug } from '../../src/dataset/smith.ts';
import { fixtureRepo } from '../helpers/git-fixture.ts';
import { issueText } from '../../src/dataset/smith-issue-text.ts';
import { sourceTexts } from '../../src/dataset/smith-candidates.ts';
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

describe('combinations', () => {
  const ORIGINAL = ['a = 1;', '', '', 'b = 2;', '', '', 'c = 3;', '', '', 'd = 4;', ''].join('\n');
  const change = (line: number, text: string) => {
    const lines = ORIGINAL.split('\n');
    lines[line - 1] = text;
    return lines.join('\n');
  };
  const bug = (id: string, line: number, text: string): SmithBug =>
    ({ id, mutation: { kind: 'flip_comparison', file: 'lib.js', line, functionName: 'f', description: `line ${line}`, after: change(line, text) } }) as unknown as SmithBug;

  it('pairs single bugs of one file, then adds a single bug to a validated pair, never the same set twice', async () => {
    const repo = fixtureRepo('node-repo');
    try {
      const commit = repo.commit({ 'lib.js': ORIGINAL });
      const source = { repoDir: repo.dir, commit };
      const singles = [bug('a', 1, 'a = 0;'), bug('b', 4, 'b = 0;'), bug('c', 7, 'c = 0;')];
      const seen = new Set<string>();
      const pairs = await combinations(sourceTexts(source), singles, 10, seen);
      expect(pairs.map((pair) => pair.description)).toEqual(['line 1; and line 4', 'line 1; and line 7', 'line 4; and line 7']);
      expect(pairs[0]?.after).toBe(change(4, 'b = 0;').replace('a = 1;', 'a = 0;'));
      expect(await combinations(sourceTexts(source), singles, 10, seen)).toEqual([]);

      // A validated pair and the single change it lacks: three changes; a pair with one of its own changes: nothing.
      const validatedPair = { id: 'ab', mutation: pairs[0] } as unknown as SmithBug;
      const triples = await combinations(sourceTexts(source), [...singles, validatedPair], 10, seen);
      expect(triples).toHaveLength(1);
      expect(triples[0]).toMatchObject({ kind: 'combined', line: 1, parts: expect.arrayContaining(['lib.js:1:line 1', 'lib.js:4:line 4', 'lib.js:7:line 7']) as unknown });
      expect(triples[0]?.after.split('\n').filter((line) => line.endsWith('= 0;'))).toHaveLength(3);
    } finally {
      repo.remove();
    }
  });

  it('skips changes of other files and changes that overlap', async () => {
    const repo = fixtureRepo('node-repo');
    try {
      const commit = repo.commit({ 'lib.js': ORIGINAL });
      const near = [bug('a', 1, 'a = 0;'), bug('b', 2, 'x = 9;')];
      expect(await combinations(sourceTexts({ repoDir: repo.dir, commit }), near, 10, new Set())).toEqual([]);
      const other = { id: 'o', mutation: { ...bug('o', 4, 'b = 0;').mutation, file: 'other.js' } } as unknown as SmithBug;
      expect(await combinations(sourceTexts({ repoDir: repo.dir, commit }), [bug('a', 1, 'a = 0;'), other], 10, new Set())).toEqual([]);
    } finally {
      repo.remove();
    }
  });
});
