import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/app/commands.ts';

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
});
