/** uvu's report, suite by suite; the recorded real output is read in index-recorded.test.ts. */
import { describe, expect, it } from 'vitest';
import { parser as uvu } from '../../../src/harness/parsers/uvu.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('uvu', () => {
  it('names each suite `file > suite` (the file alone for the unnamed suite) by its `(passed / ran)` count', () => {
    const log = [
      'a.test.js',
      '• •   (2 / 2)',
      ' parse  • ✘ •   (2 / 3)',
      '',
      '  FAIL  parse  "keeps  spaces"',
      '    Expected values to be strictly equal:  (is)',
      '    at Object.handler (/testbed/tests/a.test.js:9:10)',
      '',
      ' hooks   (0 / 2)',
      ' all skipped   (0 / 0)',
      'nested/b.test.mjs',
      ' parse  •   (1 / 1)',
      ' parse  •   (1 / 1)',
      '',
      '  Total:     9',
      '  Passed:    6',
      '  Skipped:   0',
      '  Duration:  1.02ms',
    ].join('\n');
    expect(asObject(uvu.parse(log))).toEqual({
      'a.test.js': 'PASSED',
      'a.test.js > parse': 'FAILED',
      // A `before` hook that throws: none of its tests ran.
      'a.test.js > hooks': 'FAILED',
      'a.test.js > all skipped': 'SKIPPED',
      'nested/b.test.mjs > parse': 'PASSED',
      'nested/b.test.mjs > parse (#2)': 'PASSED',
    });
  });

  it('reads a row that console output split over lines, and colours as uvu prints them', () => {
    const log = [
      '\u001b[1m\u001b[4m\u001b[37mx.test.ts\u001b[22m\u001b[24m\u001b[39m',
      '\u001b[47m\u001b[1m\u001b[30m logs \u001b[39m\u001b[49m\u001b[22m \u001b[90m• \u001b[39mprinted (1 / 9) text',
      'more printed text',
      '\u001b[31m✘ \u001b[39m\u001b[31m  (1 / 2)',
      '\u001b[39m',
    ].join('\n');
    expect(asObject(uvu.parse(log))).toEqual({ 'x.test.ts > logs': 'FAILED' });
  });

  it('names a suite by its label alone when no file header came first (a file run with node, not the uvu CLI)', () => {
    expect(asObject(uvu.parse(' math  • •   (2 / 2)\n'))).toEqual({ math: 'PASSED' });
    // The unnamed suite of an unnamed file has no name to give.
    expect(asObject(uvu.parse('• •   (2 / 2)\n'))).toEqual({});
  });
});
