import { describe, expect, it } from 'vitest';
import { parser as tape } from '../../../src/harness/parsers/tape.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('tape', () => {
  it('does not read the plan and summary as tests, even when a run repeats them, and starts over at TAP version', () => {
    const log = [
      'TAP version 13', '# a', 'ok 1 fine', '# b', 'not ok 2 bad', '  ---', '    operator: fail', '    not ok inside yaml', '  ...',
      '', '1..2', '# tests 2', '# pass  1', '# fail  1', '',
      'TAP version 13', '# a', 'ok 1 fine', '# c', 'not ok 2 later # SKIP', 'not ok 3 soon # todo', '', '1..3', '# tests 3', '# pass  3', '', '# ok',
    ].join('\n');
    expect(asObject(tape.parse(log))).toEqual({ a: 'PASSED', b: 'FAILED', 'a (#2)': 'PASSED', c: 'PASSED' });
  });

  it('keeps a `# tests` heading that comes before any plan (a test named so)', () => {
    expect(asObject(tape.parse('TAP version 13\n# tests 2\nok 1 x\n\n1..1\n# tests 1\n# pass  1\n\n# ok\n'))).toEqual({ 'tests 2': 'PASSED' });
  });

  it('strips colours and carriage returns', () => {
    expect(asObject(tape.parse('\u001b[32m# coloured\u001b[0m\r\n\u001b[31mnot ok 1 red\u001b[0m\r\n'))).toEqual({ coloured: 'FAILED' });
  });
});
