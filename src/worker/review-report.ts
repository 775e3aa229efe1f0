/**
 * What people read about a review: the review's body (the model's summary
 * with whatever could not go inline, the test outcome, the model and its
 * cost), and the check run with the test results and one annotation per
 * inline finding.
 */
import { egressRefusedSection } from './egress-report.ts';
import type { CheckAnnotation } from '../github/check-run.ts';
import { codeFence } from '../util/markdown.ts';
import type { ReviewResult } from '../jobs/review.ts';

/** Test names listed per group. */
const TEST_ROWS = 30;

const LEVEL: Record<string, CheckAnnotation['annotation_level']> = { critical: 'failure', major: 'warning', minor: 'notice', nit: 'notice' };

export function reviewBody(result: ReviewResult, model: string): string {
  const parts = [result.summary, `**Tests:** ${testLine(result)}`];
  if (result.skippedAsReviewed > 0) parts.push(`<sub>${result.skippedAsReviewed} finding(s) on lines reviewed before were left out.</sub>`);
  const refused = egressRefusedSection(result.egressRefused);
  if (refused !== '') parts.push(refused);
  parts.push(`<sub>Model ${model} · ${(result.model.tokens.prompt + result.model.tokens.completion).toLocaleString('en')} tokens · ${Math.round(result.timeMs / 1000)} s</sub>`);
  return parts.join('\n\n');
}

export function testLine(result: ReviewResult): string {
  const { tests } = result;
  if (!tests.headValid) return `the test run could not be used (${tests.headProblem ?? 'no results'}).`;
  const { passed, failed, skipped } = tests.counts;
  const counts = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
  if (failed === 0) return `${counts}.`;
  if (tests.base === undefined) return `${counts}.`;
  return `${counts}: ${tests.newFailures.length} new with this change, ${tests.preexistingFailures.length} already failing at the base.`;
}

/** The check run: failure when the change breaks tests, neutral when the run says nothing, success otherwise. */
export function reviewCheck(result: ReviewResult): {
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  text: string;
  annotations: CheckAnnotation[];
} {
  const { tests } = result;
  const conclusion = !tests.headValid ? 'neutral' : tests.newFailures.length > 0 ? 'failure' : 'success';
  const title = !tests.headValid
    ? 'Tests could not be run'
    : tests.newFailures.length > 0
      ? `${tests.newFailures.length} test(s) fail with this change`
      : `Tests pass (${tests.counts.passed})`;
  const sections: string[] = [];
  const group = (heading: string, names: string[]): void => {
    if (names.length === 0) return;
    const shown = names.slice(0, TEST_ROWS).map((name) => `- \`${name.replace(/`/g, "'")}\``);
    if (names.length > TEST_ROWS) shown.push(`- … and ${names.length - TEST_ROWS} more`);
    sections.push(`### ${heading}\n${shown.join('\n')}`);
  };
  group('Failing since this change', tests.newFailures);
  group('Already failing at the base', tests.preexistingFailures);
  group('Fixed by this change', tests.fixed);
  if (!tests.headValid && tests.headProblem !== undefined) sections.push(codeFence(tests.headProblem));
  const annotations: CheckAnnotation[] = result.comments
    .filter((comment) => comment.side === 'RIGHT')
    .map((comment) => ({
      path: comment.path,
      start_line: comment.start_line ?? comment.line,
      end_line: comment.line,
      annotation_level: LEVEL[comment.severity] ?? 'notice',
      title: `swe-bot: ${comment.severity}`,
      message: comment.body.replace(/\n+`{3,}suggestion[\s\S]*$/, '').slice(0, 4_000),
    }));
  return { conclusion, title, summary: `**Tests:** ${testLine(result)}`, text: sections.join('\n\n'), annotations };
}
