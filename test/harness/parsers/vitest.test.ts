import { describe, expect, it } from 'vitest';
import { parser as vitest } from '../../../src/harness/parsers/vitest.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('vitest', () => {
  it('reads the default reporter: tests under a file line get the file, a passing file lists none', () => {
    const log = [
      ' RUN  v3.2.4 /testbed',
      '',
      ' ✓ test/ok.test.ts (4 tests) 3ms',
      ' ❯ test/a.test.ts (3 tests | 1 failed | 1 skipped) 12ms',
      '   ✓ suite > passes 1ms',
      '   × suite > fails 5ms',
      '     → expected 1 to be 2',
      '   ↓ suite > waits 5ms',
      'stderr | test/a.test.ts > suite > passes',
      ' × console output',
      '',
      '⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯',
      '',
      ' FAIL  test/a.test.ts > suite > fails',
      '   ✓ in a code frame',
      '⎯⎯⎯⎯⎯⎯⎯⎯[1/1]⎯',
      '',
      ' Test Files  1 failed | 1 passed (2)',
    ].join('\n');
    expect(asObject(vitest.parse(log))).toEqual({
      'test/a.test.ts > suite > passes': 'PASSED',
      'test/a.test.ts > suite > fails': 'FAILED',
      // A skipped test has no duration: the title is kept whole.
      'test/a.test.ts > suite > waits 5ms': 'SKIPPED',
    });
  });
});
