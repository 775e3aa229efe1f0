import { describe, expect, it } from 'vitest';
import { parser as tap } from '../../../src/harness/parsers/tap.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('tap', () => {
  it('reads node-tap: files and tests as subtests, assertions inside a leaf not counted, `# time=` dropped', () => {
    const log = [
      'TAP version 14',
      '# Subtest: test/a.js',
      '    # Subtest: adds',
      '        ok 1 - should be equal',
      '        not ok 2 - should be equal',
      '        1..2',
      '    not ok 1 - adds # time=3.1ms',
      '    # Subtest: skips',
      '        1..0',
      '    ok 2 - skips # SKIP not now',
      '    1..2',
      'not ok 1 - test/a.js # time=250ms',
      '1..1',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({ 'test/a.js > adds': 'FAILED', 'test/a.js > skips': 'SKIPPED' });
  });

  it('counts the bare `# SKIP` / `# TODO` line node-tap prints for a subtest it does not run, not a skipped assertion of a leaf', () => {
    const log = [
      'TAP version 14',
      '# Subtest: test/a.js',
      '    # Subtest: runs',
      '        ok 1 - an assertion',
      '        ok 2 - a skipped assertion # SKIP',
      '        1..2',
      '    ok 1 - runs # time=1ms',
      '    ok 2 - not run # SKIP not today',
      '    ok 3 - not written yet # TODO',
      '    ok 4 - an assertion in the file',
      '    1..4',
      'ok 1 - test/a.js # time=9ms',
      'ok 2 - top level and skipped # SKIP',
      '1..2',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({
      'test/a.js > runs': 'PASSED',
      // Recorded when the file's subtest closes, after its run siblings.
      'test/a.js > not run': 'SKIPPED',
      'test/a.js > not written yet': 'SKIPPED',
      'top level and skipped': 'SKIPPED',
    });
  });

  it('stops at Bail out! and ignores YAML blocks and unclosed subtests', () => {
    const log = [
      '# Subtest: crashed',
      '    # Subtest: never closed',
      '# Subtest: fine',
      'ok 1 - fine',
      '  ---',
      '  message: |',
      '    ok 5 - not a test',
      '    # Subtest: not one either',
      '  ...',
      '# Subtest: after',
      'not ok 2 - after # TODO later',
      'Bail out! Something broke',
      '# Subtest: never read',
      'ok 3 - never read',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({ fine: 'PASSED', after: 'SKIPPED' });
  });

  it('reads flat TAP: ` - ` stripped, directives split at an unescaped `#`, escapes kept, deeper lines ignored', () => {
    const log = [
      'TAP version 13',
      'ok 1 - plain',
      'ok 2 - issue #12 fixed',
      'ok 3 - escaped \\# hash \\\\ backslash # time=1ms',
      'not ok 4 mocha style title',
      '  ok 9 - deeper than the first test line: not a test',
      'ok 5 - pending # SKIP -',
      'not ok 6 - later # todo not yet',
      'ok 7 - plain',
      '1..7',
    ].join('\n');
    expect(asObject(tap.parse(log))).toEqual({
      plain: 'PASSED',
      'issue #12 fixed': 'PASSED',
      'escaped \\# hash \\\\ backslash': 'PASSED',
      'mocha style title': 'FAILED',
      pending: 'SKIPPED',
      later: 'SKIPPED',
      'plain (#2)': 'PASSED',
    });
  });
});
