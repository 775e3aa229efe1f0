/**
 * Fitting markdown into GitHub's size limits (a check run's summary and text:
 * 65535 characters, https://docs.github.com/en/rest/checks/runs#update-a-check-run;
 * a comment or review body: 65536). Cutting is done so that the result still
 * renders: no half surrogate pair, an open code fence closed, and a note that
 * says something was cut.
 */

export const TRUNCATION_NOTE = '\n\n*… (truncated)*';

/** `text` itself when it fits in `maxChars` (UTF-16 code units, never fewer than GitHub counts), else a cut copy that does. */
export function truncateText(text: string, maxChars: number, note = TRUNCATION_NOTE): string {
  if (text.length <= maxChars) return text;
  const fence = '\n```';
  let head = cutAt(text, maxChars - note.length);
  // An odd number of fence lines means the cut fell inside a code block: close it.
  if (openFence(head)) {
    head = cutAt(text, maxChars - note.length - fence.length);
    if (openFence(head)) head += fence;
  }
  return (head + note).slice(0, maxChars);
}

/** The first `length` code units, one fewer when that would split a surrogate pair (an emoji, say). */
function cutAt(text: string, length: number): string {
  let cut = Math.max(0, length);
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return text.slice(0, cut);
}

function openFence(markdown: string): boolean {
  return (markdown.match(/^ {0,3}(```|~~~)/gm)?.length ?? 0) % 2 === 1;
}
