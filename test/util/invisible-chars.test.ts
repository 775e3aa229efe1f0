/** Characters a page does not show, which must not reach a model either. */
import { describe, expect, it } from 'vitest';
import { isInvisible, stripInvisible } from '../../src/util/invisible-chars.ts';

describe('stripInvisible', () => {
  it.each([
    ['zero-width characters', 'a\u200Bb\u200Cc\u200Dd', 'abcd'],
    ['bidi marks, embeddings, overrides and isolates', '\u200Ea\u200F\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069', 'abcdefghi'],
    ['word joiner and invisible operators', 'a\u2060b\u2061c\u2062d\u2063e\u2064f', 'abcdef'],
    ['the byte order mark and the soft hyphen', '\uFEFFde\u00ADfine', 'define'],
    ['tag characters (text a page never shows)', `run${String.fromCodePoint(0xe0001)}${[...'IGNORE'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('')}${String.fromCodePoint(0xe007f)} tests`, 'run tests'],
    ['variation selectors', 'x\uFE0Fy\u{E0100}z', 'xyz'],
    ['control characters, keeping tab and newline', 'a\u0000b\u0007c\u001Bd\te\nf\u0085g', 'abcd\te\nfg'],
    ['interlinear annotation', 'a\uFFF9b\uFFFAc\uFFFB', 'abc'],
  ])('drops %s', (_what, text, expected) => {
    expect(stripInvisible(text)).toBe(expected);
  });

  it('makes every line break a newline and keeps visible text, spaces and emoji', () => {
    expect(stripInvisible('a\r\nb\rc\u2028d\u2029e')).toBe('a\nb\nc\nd\ne');
    expect(stripInvisible('naïve café — ½ 日本語 👍 a\u00A0b')).toBe('naïve café — ½ 日本語 👍 a\u00A0b');
  });
});

describe('isInvisible', () => {
  it('tells one character', () => {
    expect(['\u200B', '\u202E', '\u{E0041}', '\u0000', '\u00AD'].map(isInvisible)).toEqual([true, true, true, true, true]);
    expect(['a', ' ', '\n', '\t', '👍', '\u00A0'].map(isInvisible)).toEqual([false, false, false, false, false, false]);
  });
});
