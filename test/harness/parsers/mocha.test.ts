import { describe, expect, it } from 'vitest';
import { parser as mocha } from '../../../src/harness/parsers/mocha.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('mocha', () => {
  it('names failures from the failure list when indented console output confused the suite stack', () => {
    const log = [
      '',
      '  api',
      '    get',
      '      ✔ reads',
      '    a log line a test printed with indentation',
      '      1) writes',
      '    - later',
      '  ✓ root (5ms)',
      '',
      '  2 passing (9ms)',
      '  1 pending',
      '  1 failing',
      '',
      '  1) api',
      '       get',
      '         writes:',
      '     Error: boom',
      '      at Context.<anonymous> (test.js:1:1)',
      '',
    ].join('\n');
    expect(asObject(mocha.parse(log))).toEqual({
      'api get reads': 'PASSED',
      'api get writes': 'FAILED',
      // At the indentation of `get`'s siblings: a test of `api`.
      'api later': 'SKIPPED',
      root: 'PASSED',
    });
  });

  it('records a failing hook as a failure of the suite', () => {
    const log = ['  db', '    1) "before all" hook in "db"', '', '  0 passing (3ms)', '  1 failing', '', '  1) db', '       "before all" hook in "db":', '     Error: no db', ''].join('\n');
    expect(asObject(mocha.parse(log))).toEqual({ 'db "before all" hook in "db"': 'FAILED' });
  });
});
