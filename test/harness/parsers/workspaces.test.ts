/**
 * A monorepo's log, one section per package: the recorded real output of two
 * runners (test/fixtures/runner-output/) under the markers the detected
 * command prints, and the name collisions the package prefix prevents.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTestLog } from '../../../src/harness/parsers/index.ts';
import { parser as workspaces } from '../../../src/harness/parsers/workspaces.ts';
import { sectionMarker } from '../../../src/util/log-sections.ts';
import { asObject } from '../../helpers/parser-input.ts';

const recorded = (file: string): string => fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'runner-output', file), 'utf8');

describe('workspaces', () => {
  it("reads each package's section with the parser its marker names, the package's folder before each name", async () => {
    const log = [
      'npm notice run root@1.0.0 test',
      sectionMarker('jest', 'packages/api'),
      recorded('jest-verbose.txt'),
      sectionMarker('vitest', 'packages/web ui'),
      recorded('vitest-verbose.txt'),
      // `auto`: the section alone decides.
      sectionMarker('auto', 'tools/cli'),
      recorded('mocha-spec.txt'),
    ].join('\n');
    const { parser, results } = await parseTestLog('auto', log);
    expect(parser).toBe('workspaces');
    const names = [...results.keys()];
    expect(results.size).toBe(12 + 13 + 11);
    expect(results.get('packages/api > outer inner fails deep')).toBe('FAILED');
    expect(results.get('packages/api > __tests__/broken.test.js')).toBe('ERROR');
    expect(results.get('packages/web ui > test/first.test.ts > root level passes')).toBe('PASSED');
    expect(results.get('tools/cli > outer skipped test')).toBe('SKIPPED');
    expect(names.every((name) => /^(?:packages\/api|packages\/web ui|tools\/cli) > /.test(name))).toBe(true);
  });

  it('keeps two packages with the same test file and titles apart, and reads nothing before the first marker', () => {
    const one = 'PASS test/index.test.js\n  ✓ works (2 ms)\n\nTests:       1 passed, 1 total\n';
    const two = 'FAIL test/index.test.js\n  ✕ works (2 ms)\n\nTests:       1 failed, 1 total\n';
    const log = [one, sectionMarker('jest', 'packages/a'), one, sectionMarker('jest', 'packages/b'), two].join('\n');
    expect(asObject(workspaces.parse(log))).toEqual({ 'packages/a > works': 'PASSED', 'packages/b > works': 'FAILED' });
    // Without markers there is nothing to read.
    expect(workspaces.parse(one).size).toBe(0);
  });
});
