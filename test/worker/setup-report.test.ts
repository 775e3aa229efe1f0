import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateRepoConfig } from '../../src/config/repo-config.ts';
import type { SetupResult } from '../../src/jobs/setup.ts';
import { alreadyPinned, pinnedConfig, setupPullRequest } from '../../src/worker/setup-report.ts';

const result: SetupResult = {
  environment: { setup: ['npm ci'], test: 'npm test -- --ci --verbose', logParser: 'jest', origin: { setup: 'detection', test: 'detection' } },
  tests: { total: 12, passing: 11, flaky: [] },
  remembered: false,
  egressRefused: [],
  currentConfig: undefined,
  timeMs: 1000,
};
const commit = 'a'.repeat(40);

describe('setup reports', () => {
  it('writes a new configuration that holds only the commands, and that validates', () => {
    const text = pinnedConfig(undefined, result.environment);
    expect(text.startsWith('#')).toBe(true);
    expect(parse(text)).toEqual({ environment: { setup: ['npm ci'], test: 'npm test -- --ci --verbose', log_parser: 'jest' } });
    const config = validateRepoConfig(parse(text) as Record<string, unknown>, '.github/swe-bot.yml');
    expect(config.environment).toMatchObject({ setup: ['npm ci'], test: 'npm test -- --ci --verbose', log_parser: 'jest' });
  });

  it('edits an existing file in place: its comments and other keys stay', () => {
    const current = [
      '# Our settings',
      'fix:',
      '  label: bug-bot # the label we use',
      'environment:',
      '  node_version: 20',
      '  test: npm test',
      '',
    ].join('\n');
    const text = pinnedConfig(current, result.environment);
    expect(text).toContain('# Our settings');
    expect(text).toContain('label: bug-bot # the label we use');
    expect(parse(text)).toEqual({
      fix: { label: 'bug-bot' },
      environment: { node_version: 20, test: 'npm test -- --ci --verbose', setup: ['npm ci'], log_parser: 'jest' },
    });
  });

  it('offers the file in a pull request that says where the commands came from and what they gave', () => {
    const pr = setupPullRequest({ ...result, tests: { ...result.tests, flaky: ['sometimes'] } }, { commit, number: 7, hadConfig: false });
    expect(pr.body.split('\n')[0]).toBe('<!-- swe-bot:setup number=7 -->');
    expect(pr.body).toContain('Asked for in #7. At aaaaaaaaaaaa the tests ran and counted: 12 tests, 11 passing, 1 flaky (`sometimes`).');
    expect(pr.body).toContain("swe-bot found them in the repository's files, and a run of the tests confirmed them");
    expect(pr.body).toContain('```yaml\nenvironment:\n  setup:\n    - npm ci\n  test: npm test -- --ci --verbose\n  log_parser: jest\n```');
    expect(pr.body).toContain('This adds `.github/swe-bot.yml`');
    const agent = setupPullRequest({ ...result, environment: { ...result.environment, origin: { setup: 'setup-agent', test: 'setup-agent' } } }, { commit, number: 7, hadConfig: true });
    expect(agent.body).toContain("swe-bot's setup agent proposed them");
    expect(agent.body).toContain('This changes only the `environment:` keys');
  });

  it('says so when the commands are configured already', () => {
    const text = alreadyPinned({ ...result, environment: { ...result.environment, origin: { setup: 'configuration', test: 'configuration' } } }, commit);
    expect(text).toMatch(/^The test commands are already set in `\.github\/swe-bot\.yml`, so there is nothing to pin\. At aaaaaaaaaaaa the tests ran and counted: 12 tests, 11 passing\./);
  });
});
