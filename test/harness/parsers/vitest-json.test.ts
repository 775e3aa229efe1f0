import { describe, expect, it } from 'vitest';
import { createVitestJsonParser, parser as vitestJson } from '../../../src/harness/parsers/vitest-json.ts';
import { asObject } from '../../helpers/parser-input.ts';

describe('vitest-json', () => {
  const report = JSON.stringify(
    {
      numTotalTestSuites: 3,
      numTotalTests: 3,
      testResults: [
        { assertionResults: [], status: 'failed', message: 'Failed to load', name: '/repo/test/broken.test.js' },
        {
          assertionResults: [
            { ancestorTitles: ['s', 'n'], fullName: 's n t', status: 'passed', title: 't', meta: {} },
            { ancestorTitles: [], fullName: 'x ', status: 'skipped', title: 'x ', meta: {} },
            { ancestorTitles: [], fullName: 'y', status: 'todo', title: 'y', meta: {} },
            { ancestorTitles: ['#s'], fullName: '#s y\\z', status: 'failed', title: 'y\\z', meta: {} },
          ],
          status: 'passed',
          name: '/repo/test/a.test.ts',
        },
      ],
    },
    null,
    2,
  );
  const EXPECTED = { 'test/broken.test.js': 'ERROR', 'test/a.test.ts > s > n > t': 'PASSED', 'test/a.test.ts > x': 'SKIPPED', 'test/a.test.ts > y': 'SKIPPED', 'test/a.test.ts > \\#s > y\\\\z': 'FAILED' };

  it('names tests `file > suites > title` as tap-flat spells them, relative to the rootDir option or to the banner of another reporter', () => {
    expect(asObject(createVitestJsonParser({ rootDir: '/repo' }).parse(report))).toEqual(EXPECTED);
    expect(asObject(vitestJson.parse(`\n RUN  v3.2.4 /repo\n\n${report}`))).toEqual(EXPECTED);
    expect([...vitestJson.parse(report).keys()][0]).toBe('/repo/test/broken.test.js');
  });

  it('reads the whole entries of a cut report', () => {
    const cut = report.slice(0, report.indexOf('"name": "/repo/test/a.test.ts"') - 3);
    expect(asObject(createVitestJsonParser({ rootDir: '/repo' }).parse(cut))).toEqual({ 'test/broken.test.js': 'ERROR' });
  });
});
