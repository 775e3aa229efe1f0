/**
 * Bounds on what one tool result may put into the model's context: long
 * observations keep their head and tail (where commands print what they do
 * and how they ended) and lose the middle, with a marker saying how much.
 */

/** Longest observation, in characters, before its middle is cut. */
export const OBSERVATION_MAX_CHARS = 16_000;

/**
 * `text` if it fits in `maxChars`, else its first and last parts around a
 * marker naming how many characters were cut, `maxChars` long in all (the
 * marker included). `alreadyCut`: the text had lost part of its middle
 * before, so the count is a lower bound.
 */
export function cutMiddle(text: string, maxChars: number = OBSERVATION_MAX_CHARS, alreadyCut = false): string {
  if (text.length <= maxChars) return text;
  // The marker's length with the largest count it could show.
  const keep = Math.max(2, maxChars - marker(text.length, alreadyCut).length);
  const headChars = keepWhole(text, Math.ceil(keep / 2));
  const tailStart = keepWhole(text, text.length - Math.floor(keep / 2));
  return `${text.slice(0, headChars)}${marker(tailStart - headChars, alreadyCut)}${text.slice(tailStart)}`;
}

function marker(cut: number, alreadyCut: boolean): string {
  return `\n[... ${alreadyCut ? 'more than ' : ''}${cut} characters cut from the middle of this output ...]\n`;
}

/** Moves a cut position off the middle of a surrogate pair. */
function keepWhole(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at + 1 : at;
}
