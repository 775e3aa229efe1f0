import { describe, expect, it } from 'vitest';
import { hasSections, sectionMarker, splitSections } from '../../src/util/log-sections.ts';

describe('log sections', () => {
  it('splits a log at its markers, labels with spaces kept, what precedes the first left out', () => {
    const log = ['before', sectionMarker('jest', 'packages/a b'), 'one', 'two', sectionMarker('auto', 'c'), '', 'three\r'].join('\n');
    expect(hasSections(log)).toBe(true);
    expect(splitSections(log)).toEqual([
      { parser: 'jest', label: 'packages/a b', text: 'one\ntwo' },
      { parser: 'auto', label: 'c', text: '\nthree\r' },
    ]);
    expect(hasSections('no >>>>> Section here\n')).toBe(false);
    expect(splitSections('plain log')).toEqual([]);
  });

  it('refuses a parser name with spaces and a label of several lines', () => {
    expect(() => sectionMarker('my parser', 'a')).toThrow();
    expect(() => sectionMarker('jest', 'a\nb')).toThrow();
    expect(() => sectionMarker('jest', ' ')).toThrow();
  });
});
