/**
 * The texts people read about a fix: the pull-request body and the comment
 * when no fix was verified.
 */
import { describe, expect, it } from 'vitest';
import type { FixResult } from '../../src/jobs/fix.ts';
import { fixNotVerified, fixPullRequest } from '../../src/worker/fix-report.ts';

const candidate = (index: number, verdict: FixResult['verdict'], patch: string): FixResult['candidates'][number] => ({
  index,
  verdict,
  patch,
  agent: { exit: verdict === 'no_patch' ? 'max_iterations' : 'finished', reason: 'the iteration budget (5) ran out', iterations: 5, taskCompleted: true },
  moves: { failToPass: [], passToPass: [], passToFail: [], failToFail: [] },
  after: {},
  flaky: [],
  tokens: { prompt: 1000, completion: 200 },
});

const fixResult = (verdict: FixResult['verdict']): FixResult => ({
  verdict,
  patch: 'diff --git a/x b/x\n',
  tests: {
    before: { a: 'PASSED', b: 'PASSED' },
    after: { a: 'PASSED', b: 'PASSED', 'new `repro`': 'PASSED' },
    failToPass: verdict === 'verified' ? ['new `repro`'] : [],
    passToFail: [],
    flaky: [],
  },
  environment: { setup: ['npm ci'], test: 'npm test -- --ci --verbose', logParser: 'jest', origin: { setup: 'detection', test: 'detection' } },
  egressRefused: [],
  tokens: { prompt: 2000, completion: 400 },
  timeMs: 61_000,
  chosen: 1,
  candidates: [candidate(0, 'no_patch', ''), candidate(1, verdict, 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-```\n+fixed\n')],
});

describe('fix reports', () => {
  it('puts Fixes #N, the marker and the evidence in the pull request', () => {
    const pr = fixPullRequest(fixResult('verified'), { issueNumber: 12, issueTitle: 'add() concatenates', model: 'Skywork-SWE-32B' });
    expect(pr.title).toBe('Fix #12: add() concatenates');
    expect(pr.body.split('\n').slice(0, 2)).toEqual(['<!-- swe-bot:fix issue=12 -->', 'Fixes #12']);
    expect(pr.body).toContain('| before | 2 | 2 |');
    expect(pr.body).toContain('| after | 3 | 3 |');
    expect(pr.body).toContain("- `new 'repro'`");
    expect(pr.body).toContain('| 1 (chosen) | verified | 5 | 1200 |');
    expect(pr.body).toContain('Model Skywork-SWE-32B · 2,400 tokens');
    expect(pr.body).not.toContain('Flaky');
    // Detected commands, with the configuration that would pin them.
    expect(pr.body).toContain("Tests ran with `npm test -- --ci --verbose` after `npm ci`; swe-bot found them in the repository's files, and a run of the tests confirmed them.");
    expect(pr.body).toContain('or comment `/swe-bot setup` for a pull request that does');
    expect(pr.body).toContain('```yaml\nenvironment:\n  setup:\n    - npm ci\n  test: npm test -- --ci --verbose\n  log_parser: jest\n```');
  });

  it('lists what the egress proxy refused during the build, with the command, in the pull request and the comment', () => {
    const refused = [
      { host: 'telemetry.example', port: 443, command: 'npm ci', reason: 'not on the allowlist' },
      { host: '169.254.169.254', port: 80, command: 'npm ci', reason: 'an address, not a host name' },
    ];
    const result = { ...fixResult('verified'), egressRefused: refused };
    for (const body of [fixPullRequest(result, { issueNumber: 1, issueTitle: 't', model: 'm' }).body, fixNotVerified({ ...result, verdict: 'plausible' }, { issueNumber: 1, issueTitle: 't', model: 'm' })]) {
      expect(body).toContain('**Network requests refused while the environment was built.**');
      expect(body).toContain('- `telemetry.example:443`: not on the allowlist during `npm ci`');
      expect(body).toContain('- `169.254.169.254:80`: an address, not a host name during `npm ci`');
    }
    expect(fixPullRequest(fixResult('verified'), { issueNumber: 1, issueTitle: 't', model: 'm' }).body).not.toContain('Network requests refused');
  });

  it('says when the setup agent found the commands', () => {
    const result = fixResult('verified');
    const pr = fixPullRequest({ ...result, environment: { ...result.environment, origin: { setup: 'setup-agent', test: 'setup-agent' } } }, { issueNumber: 1, issueTitle: 't', model: 'm' });
    expect(pr.body).toContain("after `npm ci`; swe-bot's setup agent proposed them, and a run of the tests confirmed them. To pin them");
  });

  it('names the configuration when it gave the commands', () => {
    const result = fixResult('verified');
    const pr = fixPullRequest({ ...result, environment: { ...result.environment, origin: { setup: 'configuration', test: 'configuration' } } }, { issueNumber: 1, issueTitle: 't', model: 'm' });
    expect(pr.body).toContain('Tests ran with `npm test -- --ci --verbose` after `npm ci`, as `.github/swe-bot.yml` says.');
    expect(pr.body).not.toContain('```yaml');
  });

  it('lists the flaky tests, counted neither way', () => {
    const result = fixResult('verified');
    const pr = fixPullRequest({ ...result, tests: { ...result.tests, flaky: ['sometimes times out'] } }, { issueNumber: 12, issueTitle: 't', model: 'm' });
    expect(pr.body).toContain('Flaky tests (their outcome changed between two identical runs), counted neither as evidence nor as regressions:\n- `sometimes times out`');
  });

  it('says what was tried and shows the best attempt collapsed, fenced safely', () => {
    const text = fixNotVerified(fixResult('plausible'), { issueNumber: 12, issueTitle: 't', model: 'm' });
    expect(text).toContain('- candidate 0: no_patch — stopped (the iteration budget (5) ran out) after 5 steps');
    expect(text).toContain('<details><summary>Best attempt (candidate 1, plausible)</summary>');
    expect(text).toContain('````diff\n');
    expect(text).toContain('Tests ran with `npm test -- --ci --verbose` after `npm ci`; swe-bot found them');
  });

  it('says, in the pull request and in the comment, that the issue was edited and which text the fix worked from', () => {
    const notice = 'The issue was edited after @alice asked for this fix; swe-bot worked from its title and body as they were when asked (sha256 `ab`).';
    const context = { issueNumber: 12, issueTitle: 't', model: 'm', notice };
    expect(fixPullRequest(fixResult('verified'), context).body).toContain(`Fixes #12\n\n${notice}\n\n**Verdict:**`);
    expect(fixNotVerified(fixResult('plausible'), context)).toContain(`opened no pull request.\n\n${notice}\n\n**Outcome:**`);
    expect(fixPullRequest(fixResult('verified'), { ...context, notice: undefined }).body).not.toContain('was edited');
  });
});
