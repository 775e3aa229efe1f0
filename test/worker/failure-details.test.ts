import { describe, expect, it } from 'vitest';
import { ConfigError, ImageBuildError, NoTestRecipeError } from '../../src/errors.ts';
import { FAILURE_LOG_LINES, FAILURE_LOG_MAX_CHARS, failureDetails } from '../../src/worker/failure-details.ts';

describe('failureDetails', () => {
  it('adds the hint and the last lines of the build log in a fence the log cannot close', () => {
    const log = [...Array.from({ length: 100 }, (_, index) => `line ${index}`), 'a ```` fence in the output', 'npm error code E404'].join('\n');
    const error = new ImageBuildError('Environment setup failed: `npm ci` (exit code 1): a build step failed', {
      command: 'npm ci',
      logTail: log,
      hint: 'pin the dependency',
    });
    const text = failureDetails(error);
    expect(text).toContain('**What to do:** pin the dependency');
    expect(text).toContain('<summary>The end of the build log (`npm ci`)</summary>');
    expect(text).toContain('`````text\n');
    expect(text).toContain('npm error code E404\n`````');
    const shown = text.split('`````text\n')[1]?.split('\n`````')[0]?.split('\n') ?? [];
    expect(shown).toHaveLength(FAILURE_LOG_LINES);
    expect(shown[0]).toBe(`line ${100 - FAILURE_LOG_LINES + 2}`);
  });

  it('lists the hosts the egress proxy refused before the log', () => {
    const error = new ImageBuildError('Environment setup failed', {
      command: 'npm ci',
      logTail: 'npm error 403 Forbidden',
      egressRefused: [{ host: 'npm.internal.example', port: 443, command: 'npm ci', reason: 'not on the allowlist' }],
    });
    const details = failureDetails(error);
    expect(details).toContain('- `npm.internal.example:443`: not on the allowlist during `npm ci`');
    expect(details.indexOf('Network requests refused')).toBeLessThan(details.indexOf('The end of the build log'));
  });

  it('keeps the end of a log of very long lines, within its character limit', () => {
    const error = new ImageBuildError('failed', { logTail: `${'x'.repeat(50_000)}\nthe last words` });
    const text = failureDetails(error);
    expect(text.length).toBeLessThan(FAILURE_LOG_MAX_CHARS + 300);
    expect(text).toContain('…');
    expect(text).toContain('the last words');
  });

  it("finds swe-bot's error behind a wrapper, and says nothing about errors it knows nothing of", () => {
    expect(failureDetails(new Error('outer', { cause: new ConfigError('bad', { hint: 'fix the file' }) }))).toBe('**What to do:** fix the file');
    expect(failureDetails(new Error('a TypeError somewhere'))).toBe('');
    expect(failureDetails(new ImageBuildError('no log', { logTail: '  \n' }))).toBe('');
  });

  it('shows each recipe tried with the end of its log when none ran the tests', () => {
    const error = new NoTestRecipeError('No way to run this repository\'s tests was found: …', {
      hint: 'set environment.test',
      attempts: [
        { recipe: 'detected `npm test` after `npm ci`', problem: 'the test command exited 127 although no test failed', logTail: 'sh: 1: ./scripts/run-tests.sh: not found' },
        { recipe: 'an answer that could not be used', problem: 'no ```yaml block', logTail: '' },
        { recipe: 'proposed `make test` after `npm ci`', problem: 'no test results could be parsed', logTail: 'make: *** No rule to make target' },
      ],
    });
    const text = failureDetails(error);
    expect(text.startsWith('**What to do:** set environment.test')).toBe(true);
    expect(text).toContain('<summary>Recipe 1: detected `npm test` after `npm ci`: the test command exited 127 although no test failed</summary>');
    expect(text).toContain('sh: 1: ./scripts/run-tests.sh: not found');
    expect(text).toContain('<summary>Recipe 3: proposed `make test` after `npm ci`: no test results could be parsed</summary>');
    expect(text).toContain('make: *** No rule to make target');
    // An attempt with no log gets no empty box.
    expect(text.match(/<details>/g)).toHaveLength(2);
  });
});
