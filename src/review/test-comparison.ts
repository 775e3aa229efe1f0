/**
 * The test evidence of a review: the run at the head of the pull request,
 * and, when something fails there, the run at the base, so failures the
 * change brought in are told apart from those that were already there.
 */
import type { TestResults, TestStatus } from '../harness/test-status.ts';

export interface TestComparison {
  /** Test name → status at the head. */
  head: Record<string, TestStatus>;
  /** Test name → status at the base; present only when the base was run. */
  base?: Record<string, TestStatus>;
  /** The head run gave results and did not time out. */
  headValid: boolean;
  /** Why the head run cannot be trusted, when it cannot. */
  headProblem?: string;
  counts: { passed: number; failed: number; skipped: number };
  /** Failing at the head, passing (or absent) at the base: brought in by the change (or all head failures when the base was not run). */
  newFailures: string[];
  /** Failing at both. */
  preexistingFailures: string[];
  /** Failing at the base, passing at the head. */
  fixed: string[];
}

const failing = (status: TestStatus | undefined): boolean => status === 'FAILED' || status === 'ERROR';

/** True when the head run calls for a base run to compare with. */
export function needsBaseRun(head: TestResults, headValid: boolean): boolean {
  return !headValid || [...head.values()].some(failing);
}

export function compareTests(head: TestResults, base: TestResults | undefined, headProblem?: string): TestComparison {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const status of head.values()) {
    if (failing(status)) counts.failed += 1;
    else if (status === 'SKIPPED') counts.skipped += 1;
    else counts.passed += 1;
  }
  const headFailing = [...head].filter(([, status]) => failing(status)).map(([name]) => name);
  const newFailures = headFailing.filter((name) => base === undefined || !failing(base.get(name)));
  const preexistingFailures = base === undefined ? [] : headFailing.filter((name) => failing(base.get(name)));
  const fixed = base === undefined ? [] : [...base].filter(([name, status]) => failing(status) && !failing(head.get(name)) && head.has(name)).map(([name]) => name);
  return {
    head: Object.fromEntries(head),
    ...(base === undefined ? {} : { base: Object.fromEntries(base) }),
    headValid: headProblem === undefined,
    ...(headProblem === undefined ? {} : { headProblem }),
    counts,
    newFailures,
    preexistingFailures,
    fixed,
  };
}

/** One paragraph for the reviewer model (and people). */
export function describeTests(tests: TestComparison): string {
  if (!tests.headValid) return `the test run at the head could not be used (${tests.headProblem ?? 'no results'}).`;
  const { passed, failed, skipped } = tests.counts;
  const parts = [`at the head ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}.`];
  const list = (names: string[]): string => names.slice(0, 20).join('; ') + (names.length > 20 ? `; and ${names.length - 20} more` : '');
  if (tests.base === undefined && failed > 0) parts.push(`Failing: ${list(tests.newFailures)}.`);
  if (tests.base !== undefined) {
    if (tests.newFailures.length > 0) parts.push(`Failing since this change (they pass at the base): ${list(tests.newFailures)}.`);
    if (tests.preexistingFailures.length > 0) parts.push(`Already failing at the base: ${list(tests.preexistingFailures)}.`);
    if (tests.fixed.length > 0) parts.push(`Fixed by this change: ${list(tests.fixed)}.`);
  }
  return parts.join(' ');
}
