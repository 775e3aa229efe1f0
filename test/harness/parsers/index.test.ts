/**
 * The parser registry, and what every parser in it promises: odd input
 * (empty, random, cut) never throws and yields what could be read.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { parser as auto } from '../../../src/harness/parsers/auto.ts';
import { PARSER_NAMES, loadParser, parseTestLog } from '../../../src/harness/parsers/index.ts';
import { asObject, GARBAGE } from '../../helpers/parser-input.ts';
import { seededRandom } from '../../helpers/seeded-random.ts';

// Every parser the registry knows, auto included: the odd-input promises hold for each.
const PARSERS = await Promise.all(PARSER_NAMES.map((name) => loadParser(name)));


/** Random text made of the pieces the parsers look for. */
function garbage(seed: number, pieces: number): string {
  const next = seededRandom(seed);
  const parts = [
    'ok 1 - a', 'not ok 2 b', '# Subtest: x', '    ', '\n', '---', '...', '{', '}', '[', ']', '"', '\\', '#',
    '# SKIP', '# TODO', '1..3', 'TAP version 13', '✓ ', '✕ ', '✔ ', '× ', '↓ ', '○ skipped ', '✎ todo ',
    '  1) ', '- ', 'PASS a.js', 'FAIL b.js', '  ● Test suite failed to run', '  console.log', 'stdout | x',
    '⎯⎯ Failed Suites 1 ⎯⎯', ' FAIL  c.js', ' ❯ d.ts (2 tests | 1 failed) 3ms', '  3 passing (2ms)',
    '{"numTotalTests":1,"testResults":[', '{"assertionResults":[', '{"ancestorTitles":["s"],"title":"t","status":"passed"}',
    '\u001b[31m', '\r', 'Bail out!', ' > ', 'é', '\u0000',
  ];
  let text = '';
  for (let i = 0; i < pieces; i += 1) text += parts[Math.floor(next() * parts.length)] ?? '';
  return text;
}

describe('odd input', () => {
  it.each(PARSERS.map((parser) => [parser.name, parser] as const))('%s: empty and random text give an empty map', (_name, parser) => {
    expect(parser.parse('').size).toBe(0);
    expect(parser.parse('\n\n   \n').size).toBe(0);
    expect(parser.parse('Lorem ipsum dolor sit amet.\nnpm ERR! missing script: test\n').size).toBe(0);
    expect(parser.parse('\u0000\u0001\u00ff\ud800 {{{{ [[[ """ \\').size).toBe(0);
  });

  it.each(PARSERS.map((parser) => [parser.name, parser] as const))('%s: never throws on random pieces of every format', (_name, parser) => {
    for (let seed = 1; seed <= 200; seed += 1) {
      const text = garbage(seed, 5 + (seed % 60));
      expect(() => parser.parse(text), text).not.toThrow();
      expect(parser.parse(text)).toBeInstanceOf(Map);
    }
  });

  it('stays fast on a large log of unclosed braces', () => {
    const text = `${'{"a": ['.repeat(2000)}\n${'{"numTotalTests": 1, "x": '.repeat(500)}`;
    const started = Date.now();
    for (const parser of PARSERS) parser.parse(text);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('the parser registry', () => {
  it('loads every parser by its name', async () => {
    for (const name of PARSER_NAMES) expect((await loadParser(name)).name).toBe(name);
  });

  it('refuses an unknown name, listing the known ones', async () => {
    const error = await loadParser('nose').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('"nose"');
    for (const name of PARSER_NAMES) expect((error as Error).message).toContain(name);
    await expect(loadParser('../errors')).rejects.toBeInstanceOf(ConfigError);
    await expect(parseTestLog('nose', '')).rejects.toBeInstanceOf(ConfigError);
  });

  it('resolves auto to the parser it chose, and auto alone never throws', async () => {
    const log = 'PASSED tests/test_a.py::test_x\n';
    const parsed = await parseTestLog('auto', log, 'python -m pytest -rA');
    expect(parsed.parser).toBe('pytest');
    expect(asObject(parsed.results)).toEqual({ 'tests/test_a.py::test_x': 'PASSED' });
    expect((await parseTestLog('pytest', log)).parser).toBe('pytest');
    for (const input of GARBAGE) expect(() => auto.parse(input)).not.toThrow();
  });
});
