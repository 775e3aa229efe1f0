import { describe, expect, it } from 'vitest';
import { parseProposal } from '../../src/jobs/setup-agent.ts';

describe('parseProposal', () => {
  it('reads the environment section of the one yaml block', () => {
    const text = 'Looks like a mocha project.\n\n```yaml\nenvironment:\n  setup: ["npm ci"]\n  test: npx mocha --reporter spec\n  log_parser: mocha\n```\n';
    expect(parseProposal(text)).toEqual({ setup: ['npm ci'], test: 'npx mocha --reporter spec', log_parser: 'mocha' });
  });

  it('says what is wrong with an answer it cannot use', () => {
    expect(parseProposal('Run npm test.')).toBe('no ```yaml block');
    expect(parseProposal('```yaml\nenvironment:\n  setup: ["npm ci"]\n```')).toBe('environment.test is missing');
    // Validated as configuration: an unknown parser or key is named.
    expect(parseProposal('```yaml\nenvironment:\n  test: make test\n  log_parser: ctest\n```')).toBe(
      'environment.log_parser must be one of tape, tap, mocha, jest, jest-json, vitest, vitest-json, uvu, pytest, unittest, junit, workspaces, auto, not ctest',
    );
    expect(parseProposal('```yaml\nenvironment:\n  test: make test\n  runner: make\n```')).toMatch(/^the proposal: /);
    expect(parseProposal('```yaml\nenvironment:\n  test: [1, 2\n```')).toMatch(/^the proposal: /);
  });
});
