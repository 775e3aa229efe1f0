import { describe, expect, it } from 'vitest';
import { parser as pytest } from '../../../src/harness/parsers/pytest.ts';
import { asObject, GARBAGE } from '../../helpers/parser-input.ts';

describe('the pytest parser on odd input', () => {
  it('never throws, and finds no test in garbage', () => {
    for (const input of GARBAGE) {
      expect(() => pytest.parse(input)).not.toThrow();
      expect(pytest.parse(input).size).toBe(0);
    }
  });

  it('does not take captured output outside the summary for results, once a summary exists', () => {
    const log = [
      '---- Captured stdout call ----',
      'PASSED tests/test_fake.py::test_printed',
      '=========================== short test summary info ============================',
      'PASSED tests/test_a.py::test_real',
      '============================== 1 passed in 0.01s ===============================',
    ].join('\n');
    expect(asObject(pytest.parse(log))).toEqual({ 'tests/test_a.py::test_real': 'PASSED' });
  });

  it('strips ANSI colours before reading', () => {
    const log = '\u001b[32mPASSED\u001b[0m tests/test_a.py::test_x\n';
    expect(asObject(pytest.parse(log))).toEqual({ 'tests/test_a.py::test_x': 'PASSED' });
  });
});
