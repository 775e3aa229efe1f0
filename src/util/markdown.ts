/**
 * A fenced code block whose fence is longer than any run of backticks in the
 * text, so the text cannot end it early (CommonMark: a closing fence must be
 * at least as long as the opening one, https://spec.commonmark.org/0.31.2/#fenced-code-blocks).
 */
export function codeFence(text: string, info = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${info}\n${text}\n${marks}`;
}
