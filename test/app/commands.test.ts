import { describe, expect, it } from 'vitest';
import { EVALUATE_DEFAULT_BUGS, evaluateBugs, parseCommand } from '../../src/app/commands.ts';

describe('parseCommand', () => {
  it('reads the first line only', () => {
    expect(parseCommand('  /autofix  \nplease')).toBe('autofix');
    expect(parseCommand('/AUTOFIX cancel')).toBe('autofix-cancel');
    expect(parseCommand('/autofix now')).toBeUndefined();
    expect(parseCommand('\n\n/review')).toBe('review');
    expect(parseCommand('please /review')).toBeUndefined();
    expect(parseCommand(null)).toBeUndefined();
  });

  it('reads /swe-bot setup, and nothing else under the namespace', () => {
    expect(parseCommand('/swe-bot setup\nthanks')).toBe('setup');
    expect(parseCommand('/SWE-BOT   Setup')).toBe('setup');
    expect(parseCommand('/swe-bot')).toBeUndefined();
    expect(parseCommand('/swe-bot setup now')).toBeUndefined();
    expect(parseCommand('> /swe-bot setup')).toBeUndefined();
  });

  it('reads /swe-bot evaluate with an optional number of bugs from 1 to 50', () => {
    expect(parseCommand('/swe-bot evaluate')).toBe('evaluate');
    expect(evaluateBugs('/swe-bot evaluate\nplease')).toBe(EVALUATE_DEFAULT_BUGS);
    expect(evaluateBugs('/SWE-BOT evaluate 25')).toBe(25);
    expect(evaluateBugs('/swe-bot evaluate 1')).toBe(1);
    for (const wrong of ['/swe-bot evaluate 0', '/swe-bot evaluate 51', '/swe-bot evaluate ten', '/swe-bot evaluate 5 now', '/swe-bot evaluate -3', '> /swe-bot evaluate']) {
      expect(parseCommand(wrong), wrong).toBeUndefined();
      expect(evaluateBugs(wrong), wrong).toBeUndefined();
    }
    expect(evaluateBugs('/autofix')).toBeUndefined();
  });
});
