/**
 * Characters a page does not show: Unicode's default-ignorable code points
 * (zero-width characters, the bidi controls U+200E–U+200F, U+202A–U+202E and
 * U+2066–U+2069, U+2060–U+2064, U+FEFF, the soft hyphen U+00AD, variation
 * selectors, the tag characters U+E0000–U+E007F, …), control characters but
 * tab and newline, and the interlinear annotation marks U+FFF9–U+FFFB. Text
 * written in them reaches a model and not the person reading the page.
 * https://www.unicode.org/reports/tr44/#Default_Ignorable_Code_Point
 */

const INVISIBLE = /(?![\t\n])[\p{Cc}\p{Default_Ignorable_Code_Point}\uFFF9-\uFFFB]/gu;
const ONE_INVISIBLE = /^(?![\t\n])[\p{Cc}\p{Default_Ignorable_Code_Point}\uFFF9-\uFFFB]$/u;

/** `text` without invisible characters, its line breaks made `\n`. Enough for what GitHub shows as plain text (a title). */
export function stripInvisible(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029]/g, '\n').replace(INVISIBLE, '');
}

/** True when the one character `char` is invisible. */
export function isInvisible(char: string): boolean {
  return ONE_INVISIBLE.test(char);
}
