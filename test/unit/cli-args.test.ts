import { describe, expect, it } from 'vitest';
import { instanceIdList, parseCommandArgs, positiveIntegers, usageError } from '../../src/cli/args.ts';

const USAGE = 'usage: swe-bot thing --name X\n';

function io() {
  let text = '';
  return { stderr: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('command-line arguments', () => {
  it('returns typed values and positionals', () => {
    const out = io();
    const parsed = parseCommandArgs(
      ['--name', 'x', '--flag', 'a', 'b'],
      { name: { type: 'string' }, flag: { type: 'boolean', default: false }, level: { type: 'string', default: 'info' } },
      USAGE,
      out,
      { allowPositionals: true },
    );
    expect(parsed).toEqual({ values: { name: 'x', flag: true, level: 'info' }, positionals: ['a', 'b'] });
    expect(out.text()).toBe('');
  });

  it('prints the error and the usage and gives exit code 2 for an unknown option or a positional', () => {
    const unknown = io();
    expect(parseCommandArgs(['--nope'], { name: { type: 'string' } }, USAGE, unknown)).toBe(2);
    expect(unknown.text()).toMatch(/Unknown option '--nope'[\s\S]*\nusage: swe-bot thing --name X\n$/);
    const positional = io();
    expect(parseCommandArgs(['stray'], { name: { type: 'string' } }, USAGE, positional)).toBe(2);
    expect(positional.text()).toContain(USAGE);
  });

  it('reads whole numbers ≥ 1 and names the option that is not one', () => {
    const out = io();
    expect(positiveIntegers({ workers: '3', candidates: undefined }, USAGE, out)).toEqual({ workers: 3, candidates: undefined });
    for (const bad of ['0', '-1', '1.5', 'two', '', '1e3']) {
      const wrong = io();
      expect(positiveIntegers({ workers: '2', 'max-iterations': bad }, USAGE, wrong)).toBe(2);
      expect(wrong.text()).toBe(`--max-iterations must be a whole number ≥ 1, not ${JSON.stringify(bad)}\n${USAGE}`);
    }
    expect(out.text()).toBe('');
  });

  it('prints the usage alone, or after a message', () => {
    const plain = io();
    expect(usageError(USAGE, plain)).toBe(2);
    expect(plain.text()).toBe(USAGE);
    const withMessage = io();
    usageError('usage: x', withMessage, 'missing --name');
    expect(withMessage.text()).toBe('missing --name\nusage: x\n');
  });

  it('reads instance ids given with commas and as positionals after --instance-ids', () => {
    expect(instanceIdList(['a,b', 'c'], ['d'])).toEqual(['a', 'b', 'c', 'd']);
    expect(instanceIdList(undefined, [])).toEqual([]);
    expect(instanceIdList(undefined, ['stray'])).toBeUndefined();
  });
});
