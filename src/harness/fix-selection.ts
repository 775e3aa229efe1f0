/**
 * Best-of-N (design.md §3): empty, unappliable and test-only patches are
 * dropped; the rest rank by verdict, then by how many candidates wrote the
 * same change (normalized diffs agree), then by the agent's own claim, then
 * by the smaller diff.
 */
import type { CandidateVerdict } from './grading.ts';

const RANK: Record<CandidateVerdict, number> = { verified: 3, plausible: 2, regression: 1, not_applied: 0, no_patch: 0 };

const TEST_PATH = /(^|\/)(tests?|__tests__|spec|specs)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]*\.py$|_test\.py$/;

export function isTestPath(file: string): boolean {
  return TEST_PATH.test(file);
}

/** Splits a unified diff into its test-file and source-file parts. */
export function splitPatch(patch: string): { tests: string; source: string } {
  const parts = patch.split(/(?=^diff --git )/m).filter((part) => part.startsWith('diff --git '));
  const tests: string[] = [];
  const source: string[] = [];
  for (const part of parts) {
    const file = /^diff --git a\/(\S+) b\//.exec(part)?.[1] ?? '';
    (isTestPath(file) ? tests : source).push(part);
  }
  return { tests: tests.join(''), source: source.join('') };
}

/** A diff reduced to its changed lines, so candidates that agree compare equal. */
export function normalizeDiff(patch: string): string {
  return patch
    .split('\n')
    .filter((line) => /^[+-]/.test(line) && !/^(\+\+\+|---) /.test(line))
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n');
}

export interface Candidate {
  verdict: CandidateVerdict;
  patch: string;
  agent: { taskCompleted: boolean | undefined };
}

/** The index of the best candidate, or undefined when none is eligible. */
export function selectBest(candidates: readonly Candidate[]): number | undefined {
  const eligible = candidates
    .map((candidate, index) => ({ candidate, index, normal: normalizeDiff(candidate.patch) }))
    .filter(({ candidate }) => candidate.verdict !== 'no_patch' && candidate.verdict !== 'not_applied')
    .filter(({ candidate }) => splitPatch(candidate.patch).source.trim() !== '');
  if (eligible.length === 0) return undefined;
  const agreement = (normal: string): number => eligible.filter((other) => other.normal === normal).length;
  eligible.sort(
    (a, b) =>
      RANK[b.candidate.verdict] - RANK[a.candidate.verdict] ||
      agreement(b.normal) - agreement(a.normal) ||
      Number(b.candidate.agent.taskCompleted === true) - Number(a.candidate.agent.taskCompleted === true) ||
      a.candidate.patch.length - b.candidate.patch.length ||
      a.index - b.index,
  );
  return eligible[0]?.index;
}
