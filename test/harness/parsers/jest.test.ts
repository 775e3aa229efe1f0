import { describe, expect, it } from 'vitest';
import { parser as jest } from '../../../src/harness/parsers/jest.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('jest', () => {
  it('reads a coloured verbose tree and does not read the summary of all failing tests', () => {
    const log = [
      '\u001b[1m\u001b[31mFAIL\u001b[39m\u001b[22m src/a.test.js (5.2 s)',
      '  suite',
      '    \u001b[32m✓\u001b[39m passes \u001b[2m(3 ms)\u001b[22m',
      '    \u001b[31m✕\u001b[39m fails \u001b[2m(1 ms)\u001b[22m',
      '',
      '\u001b[1m\u001b[31m  \u001b[1m● \u001b[22m\u001b[1msuite › fails\u001b[39m\u001b[22m',
      '',
      '    > 3 |   test("✓ looks like a test", () => {});',
      '      ✓ not a test either',
      'PASS src/b.test.js',
      '  ✓ top',
      '',
      'Summary of all failing tests',
      'FAIL src/a.test.js',
      '  ● suite › fails',
      'FAIL src/c.test.js',
      '  ● Test suite failed to run',
      '',
      'Test Suites: 1 failed, 1 passed, 2 total',
    ].join('\n');
    expect(asObject(jest.parse(log))).toEqual({ 'suite passes': 'PASSED', 'suite fails': 'FAILED', top: 'PASSED' });
  });
});
