/** Workspace patterns as the package managers write them; detection's use of them is in detect.test.ts. */
import { describe, expect, it } from 'vitest';
import { globRegExp } from '../../src/sandbox/workspaces.ts';

const matches = (pattern: string, dirs: string[]): string[] => dirs.filter((dir) => globRegExp(pattern).test(dir));

const DIRS = ['packages', 'packages/a', 'packages/a.b', 'packages/a/sub', 'apps/web', 'apps/x/api', 'apps/x/y/api', 'api', 'docs'];

describe('globRegExp', () => {
  it('reads `*` within one folder, `**` across any number, `?`, a leading `./` and a trailing `/`', () => {
    expect(matches('packages/*', DIRS)).toEqual(['packages/a', 'packages/a.b']);
    expect(matches('./packages/*/', DIRS)).toEqual(['packages/a', 'packages/a.b']);
    expect(matches('packages/**', DIRS)).toEqual(['packages', 'packages/a', 'packages/a.b', 'packages/a/sub']);
    expect(matches('apps/**/api', DIRS)).toEqual(['apps/x/api', 'apps/x/y/api']);
    expect(matches('**/api', DIRS)).toEqual(['apps/x/api', 'apps/x/y/api', 'api']);
    expect(matches('**', DIRS)).toEqual(DIRS);
    expect(matches('packages/a?b', DIRS)).toEqual(['packages/a.b']);
    expect(matches('docs', DIRS)).toEqual(['docs']);
  });

  it('matches nothing for patterns it does not read (braces, classes) or an empty one', () => {
    expect(matches('packages/{a,b}', DIRS)).toEqual([]);
    expect(matches('packages/[ab]', DIRS)).toEqual([]);
    expect(matches('./', DIRS)).toEqual([]);
  });
});
