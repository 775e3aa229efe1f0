import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineCommand, instanceIdList, parseCommand, parseCommandArgs, parserOptions, positiveIntegers, usageError } from '../../src/cli/args.ts';

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

describe('command definitions', () => {
  const THING = defineCommand({
    name: 'thing',
    summary: 'Does the thing to a repository.',
    options: {
      repo: { type: 'string', value: 'DIR', description: 'the repository', required: true },
      text: { type: 'string', value: 'TEXT', description: 'the text', required: true, group: 'text' },
      'text-file': { type: 'string', value: 'F', description: 'a file holding the text', required: true, group: 'text' },
      out: { type: 'string', value: 'DIR', default: 'out', description: 'where the results go' },
      workers: { type: 'string', value: 'N', description: 'things at once', defaultText: 'the cores' },
      mode: { type: 'string', value: '(one-very-long|alternative|list)', description: 'how' },
      ids: { type: 'string', value: 'ID', multiple: true, description: 'only these' },
      json: { type: 'boolean', default: false, description: 'print JSON' },
    },
    allowPositionals: true,
  });

  function streams() {
    let stdout = '';
    let stderr = '';
    return {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      text: () => ({ stdout, stderr }),
    };
  }

  it('generates the synopsis, the summary and a line per option with what is required and the default', () => {
    expect(THING.usage).toBe(
      [
        'usage: swe-bot thing --repo DIR (--text TEXT | --text-file F) [--out DIR] [--workers N]',
        '                     [--mode (one-very-long|alternative|list)] [--ids ID ...] [--json]',
        '',
        'Does the thing to a repository.',
        '',
        '  --repo DIR     the repository (required)',
        '  --text TEXT    the text (give this or --text-file, not both)',
        '  --text-file F  a file holding the text (give this or --text, not both)',
        '  --out DIR      where the results go (default: out)',
        '  --workers N    things at once (default: the cores)',
        '  --mode (one-very-long|alternative|list)',
        '                 how',
        '  --ids ID ...   only these',
        '  --json         print JSON',
        '  -h, --help     print this help',
        '',
      ].join('\n'),
    );
  });

  it('gives parseArgs the table stripped to what it reads, and --help', () => {
    expect(parserOptions(THING)).toEqual({
      repo: { type: 'string' },
      text: { type: 'string' },
      'text-file': { type: 'string' },
      out: { type: 'string', default: 'out' },
      workers: { type: 'string' },
      mode: { type: 'string' },
      ids: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    });
  });

  it('parses typed values, or prints the help to stdout and gives 0 for --help or -h anywhere before --', () => {
    const ok = streams();
    const parsed = parseCommand(['--repo', 'r', '--ids', 'a', 'b'], THING, ok);
    expect(parsed).toEqual({ values: { repo: 'r', ids: ['a'], out: 'out', json: false }, positionals: ['b'] });
    if (typeof parsed !== 'number') expectTypeOf(parsed.values.out).toEqualTypeOf<string>();
    expect(ok.text()).toEqual({ stdout: '', stderr: '' });
    for (const argv of [['--help'], ['-h'], ['--nope', '--repo', '-h'], ['stray', '--json', '--help']]) {
      const help = streams();
      expect(parseCommand(argv, THING, help), argv.join(' ')).toBe(0);
      expect(help.text()).toEqual({ stdout: THING.usage, stderr: '' });
    }
    const afterDashes = streams();
    expect(parseCommand(['--repo', 'r', '--', '--help'], THING, afterDashes)).toEqual({
      values: { repo: 'r', out: 'out', json: false },
      positionals: ['--help'],
    });
    const wrong = streams();
    expect(parseCommand(['--nope'], THING, wrong)).toBe(2);
    expect(wrong.text().stdout).toBe('');
    expect(wrong.text().stderr).toMatch(/^Unknown option '--nope'[\s\S]*\nusage: swe-bot thing /);
    expect(wrong.text().stderr.endsWith(THING.usage)).toBe(true);
  });
});
