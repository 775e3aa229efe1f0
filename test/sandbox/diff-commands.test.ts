import { describe, expect, it } from 'vitest';
import { excludedPaths } from '../../src/sandbox/diff-commands.ts';

describe('diff exclusions', () => {
  it('finds binary files and nested repositories', () => {
    const numstat = ['3\t1\tsrc/a.js', '-\t-\timg/logo.png', '1\t0\tnew.txt', ''].join('\0');
    const raw = [':100644 100644 aaa bbb M', 'src/a.js', ':000000 160000 000 ccc A', 'vendor/lib', ''].join('\0');
    expect(excludedPaths(`${numstat}\0--raw--\0${raw}`).sort()).toEqual(['img/logo.png', 'vendor/lib']);
    expect(excludedPaths('')).toEqual([]);
  });
});
