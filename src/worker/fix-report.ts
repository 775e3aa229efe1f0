/**
 * What people read about a fix: the pull request's title and body (the
 * evidence: tests before and after, which reproduction tests now pass, the
 * model and its cost), and, when no candidate is verified, the comment that
 * says what was tried and shows the best attempt collapsed.
 */
import { marker } from '../github/markers.ts';
import { codeFence } from '../util/markdown.ts';
import type { CandidateReport, FixResult } from '../jobs/fix.ts';
import { egressRefusedSection } from './egress-report.ts';
import { originText, pinSnippet, SETUP_COMMAND } from './setup-report.ts';

/** GitHub refuses issue and pull-request bodies over 65,536 characters. */
export const GITHUB_BODY_MAX_CHARS = 65_536;
/** Patch characters shown inline in a comment before it is cut. */
const PATCH_SHOWN_CHARS = 30_000;
/** Test rows listed per table. */
const TEST_ROWS = 30;

export interface FixReportContext {
  issueNumber: number;
  issueTitle: string;
  model: string;
  /** The issue was edited after the request, and the fix worked from the text as asked (./asked-text.ts): said in the report. */
  notice?: string | undefined;
}

const VERDICT_TEXT: Record<FixResult['verdict'], string> = {
  verified: 'verified: a new reproduction test fails before the change and passes after it, and no test that passed before fails',
  plausible: 'plausible: no test that passed before fails, but no new test shows the bug fixed',
  regression: 'regression: a test that passed before fails with this change',
  not_applied: 'the patch did not apply',
  no_patch: 'no change was made',
};

export function fixPullRequest(result: FixResult, context: FixReportContext): { title: string; body: string; commitMessage: string } {
  const title = `Fix #${context.issueNumber}: ${context.issueTitle}`.slice(0, 256);
  const body = [
    marker('fix', { issue: context.issueNumber }),
    `Fixes #${context.issueNumber}`,
    '',
    ...(context.notice === undefined ? [] : [context.notice, '']),
    `**Verdict:** ${VERDICT_TEXT[result.verdict]}.`,
    '',
    testEvidence(result),
    '',
    howTested(result),
    '',
    candidateTable(result),
    '',
    footer(result, context),
  ].join('\n');
  const commitMessage = `Fix #${context.issueNumber}: ${context.issueTitle}\n\nDrafted by swe-bot (${context.model}); ${result.verdict}.`;
  return { title, body: fit(body), commitMessage };
}

/** The comment when no pull request is opened. */
export function fixNotVerified(result: FixResult, context: FixReportContext): string {
  const best = result.chosen === undefined ? undefined : result.candidates[result.chosen];
  const lines = [
    `swe-bot could not verify a fix for this issue, so it opened no pull request.`,
    '',
    ...(context.notice === undefined ? [] : [context.notice, '']),
    `**Outcome:** ${VERDICT_TEXT[result.verdict]}.`,
    '',
    '**What was tried:**',
    ...result.candidates.map((candidate) => `- candidate ${candidate.index}: ${candidate.verdict} — ${tried(candidate)}`),
  ];
  if (best !== undefined && best.patch.trim() !== '') {
    const patch = best.patch.length > PATCH_SHOWN_CHARS ? `${best.patch.slice(0, PATCH_SHOWN_CHARS)}\n… (cut)` : best.patch;
    lines.push('', `<details><summary>Best attempt (candidate ${best.index}, ${best.verdict})</summary>`, '', codeFence(patch.replace(/\n$/, ''), 'diff'), '', '</details>');
  }
  lines.push('', testEvidence(result), '', howTested(result), '', footer(result, context));
  return fit(lines.join('\n'));
}

/** One line per stage outcome for the status comment and check run. */
export function fixSummary(result: FixResult, pullRequestUrl?: string): string {
  const where = pullRequestUrl === undefined ? 'no pull request opened' : `pull request: ${pullRequestUrl}`;
  return `**${result.verdict}** — ${result.tests.failToPass.length} reproduction test(s) now pass, ${result.tests.passToFail.length} regression(s); ${where}.`;
}

function tried(candidate: CandidateReport): string {
  const steps = `${candidate.agent.iterations} step${candidate.agent.iterations === 1 ? '' : 's'}`;
  return `${candidate.agent.exit === 'finished' ? 'finished' : `stopped (${candidate.agent.reason})`} after ${steps}`;
}

function testEvidence(result: FixResult): string {
  const before = Object.values(result.tests.before);
  const after = Object.values(result.tests.after);
  const passing = (statuses: string[]): number => statuses.filter((status) => status === 'PASSED' || status === 'XFAIL').length;
  const lines = [
    '| | tests | passing |',
    '|---|---:|---:|',
    `| before | ${before.length} | ${passing(before)} |`,
    `| after | ${after.length} | ${passing(after)} |`,
  ];
  if (result.tests.failToPass.length > 0) {
    lines.push('', 'Reproduction tests that fail before the change and pass after it:', ...list(result.tests.failToPass));
  }
  if (result.tests.passToFail.length > 0) {
    lines.push('', 'Tests that passed before and fail after it:', ...list(result.tests.passToFail));
  }
  if (result.tests.flaky.length > 0) {
    lines.push('', 'Flaky tests (their outcome changed between two identical runs), counted neither as evidence nor as regressions:', ...list(result.tests.flaky));
  }
  return lines.join('\n');
}

/** The commands behind the evidence; detected ones come with the configuration that would pin them. */
function howTested(result: FixResult): string {
  const refused = egressRefusedSection(result.egressRefused);
  return refused === '' ? commandsText(result) : `${commandsText(result)}\n\n${refused}`;
}

function commandsText(result: FixResult): string {
  const { setup, test, origin } = result.environment;
  const installed = setup.length === 0 ? '' : ` after \`${setup.join(' && ')}\``;
  const line = `Tests ran with \`${test}\`${installed}`;
  if (origin.setup === 'configuration' && origin.test === 'configuration') return `${line}, as \`.github/swe-bot.yml\` says.`;
  return [
    `${line}; ${originText(result.environment)}. To pin them, add this to \`.github/swe-bot.yml\` (or comment \`${SETUP_COMMAND}\` for a pull request that does):`,
    '',
    codeFence(pinSnippet(result.environment), 'yaml'),
  ].join('\n');
}

function list(names: string[]): string[] {
  const shown = names.slice(0, TEST_ROWS).map((name) => `- \`${name.replace(/`/g, "'")}\``);
  return names.length > TEST_ROWS ? [...shown, `- … and ${names.length - TEST_ROWS} more`] : shown;
}

function candidateTable(result: FixResult): string {
  if (result.candidates.length <= 1) return '';
  const rows = result.candidates.map(
    (candidate) => `| ${candidate.index}${candidate.index === result.chosen ? ' (chosen)' : ''} | ${candidate.verdict} | ${candidate.agent.iterations} | ${candidate.tokens.prompt + candidate.tokens.completion} |`,
  );
  return ['| candidate | verdict | steps | tokens |', '|---|---|---:|---:|', ...rows].join('\n');
}

function footer(result: FixResult, context: FixReportContext): string {
  const tokens = result.tokens.prompt + result.tokens.completion;
  return `<sub>Model ${context.model} · ${tokens.toLocaleString('en')} tokens (${result.tokens.prompt.toLocaleString('en')} prompt, ${result.tokens.completion.toLocaleString('en')} completion) · ${Math.round(result.timeMs / 1000)} s · review the change before merging: swe-bot never merges.</sub>`;
}

function fit(body: string): string {
  return body.length <= GITHUB_BODY_MAX_CHARS ? body : `${body.slice(0, GITHUB_BODY_MAX_CHARS - 20)}\n… (cut)`;
}
