/**
 * What people read about a repository's test commands: the `.github/swe-bot.yml`
 * that pins them (the repository's own file edited in place, its comments
 * and other keys kept), the pull request that offers it, and the snippet a
 * fix's report shows when the commands were not configured.
 */
import { egressRefusedSection } from './egress-report.ts';
import { Document, parseDocument, stringify } from 'yaml';
import { marker } from '../github/markers.ts';
import type { SetupResult } from '../jobs/setup.ts';
import { codeFence } from '../util/markdown.ts';

type Commands = SetupResult['environment'];

/** The comment that asks for the pull request. */
export const SETUP_COMMAND = '/swe-bot setup';

/** The `environment:` keys that pin `commands`, as YAML. */
export function pinSnippet(commands: Commands): string {
  return stringify({ environment: { setup: commands.setup, test: commands.test, log_parser: commands.logParser } }).trimEnd();
}

/** `current` (the repository's own file, when it has one) with the commands set; the rest of it is left as it was. */
export function pinnedConfig(current: string | undefined, commands: Commands): string {
  const doc = current === undefined || current.trim() === '' ? new Document({}) : parseDocument(current);
  if (current === undefined || current.trim() === '') {
    doc.commentBefore = ' swe-bot: how this repository is tested (every key has a default; see the README of swe-bot).';
  }
  doc.setIn(['environment', 'setup'], commands.setup);
  doc.setIn(['environment', 'test'], commands.test);
  doc.setIn(['environment', 'log_parser'], commands.logParser);
  return doc.toString();
}

/** Where the commands came from, for people. */
export function originText(commands: Commands): string {
  if (commands.origin.test === 'setup-agent') return "swe-bot's setup agent proposed them, and a run of the tests confirmed them";
  if (commands.origin.test === 'detection') return "swe-bot found them in the repository's files, and a run of the tests confirmed them";
  return 'they are the ones `.github/swe-bot.yml` names';
}

export interface SetupReportContext {
  /** The commit the tests ran at. */
  commit: string;
  /** Where the command was asked for. */
  number: number;
  /** The repository had a `.github/swe-bot.yml` of its own. */
  hadConfig: boolean;
}

export function setupPullRequest(result: SetupResult, context: SetupReportContext): { title: string; body: string; commitMessage: string } {
  const title = 'Pin the test commands swe-bot uses in .github/swe-bot.yml';
  const body = [
    marker('setup', { number: context.number }),
    `Asked for in #${context.number}. ${testsLine(result, context.commit)}`,
    '',
    `These are the commands; ${originText(result.environment)}:`,
    '',
    codeFence(pinSnippet(result.environment), 'yaml'),
    '',
    context.hadConfig
      ? 'This changes only the `environment:` keys above in the existing file; everything else in it is left as it was.'
      : 'This adds `.github/swe-bot.yml` with only these keys; every other setting keeps its default.',
    '',
    'Merging pins them: swe-bot then runs exactly these, and anyone reading the file sees how the tests run. Without it, swe-bot keeps working the commands out on each job, and a change to the repository may change them. Review them before merging: swe-bot never merges.',
    ...(result.egressRefused.length === 0 ? [] : ['', egressRefusedSection(result.egressRefused)]),
  ].join('\n');
  const commitMessage = `Pin the test commands in .github/swe-bot.yml\n\nConfirmed by swe-bot at ${context.commit.slice(0, 12)}: ${result.tests.total} tests, ${result.tests.passing} passing.`;
  return { title, body, commitMessage };
}

/** The status comment's text when the commands are configured already: nothing to pin. */
export function alreadyPinned(result: SetupResult, commit: string): string {
  return [
    `The test commands are already set in \`.github/swe-bot.yml\`, so there is nothing to pin. ${testsLine(result, commit)}`,
    '',
    codeFence(pinSnippet(result.environment), 'yaml'),
  ].join('\n');
}

export function setupSummary(result: SetupResult, pullRequestUrl: string): string {
  return `**confirmed** — ${result.tests.total} tests, ${result.tests.passing} passing; pull request: ${pullRequestUrl}.`;
}

function testsLine(result: SetupResult, commit: string): string {
  const flaky = result.tests.flaky.length === 0 ? '' : `, ${result.tests.flaky.length} flaky (${result.tests.flaky.slice(0, 5).map((name) => `\`${name.replace(/`/g, "'")}\``).join(', ')}${result.tests.flaky.length > 5 ? ', …' : ''})`;
  return `At ${commit.slice(0, 12)} the tests ran and counted: ${result.tests.total} tests, ${result.tests.passing} passing${flaky}.`;
}
