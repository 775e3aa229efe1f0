/**
 * What a reader sees of untrusted markdown on GitHub (an issue, a pull
 * request, a comment), so a model is shown that and nothing a reader could
 * not have read: text hidden in the page is a known way to slip
 * instructions past the person who asks the App to act (issue #12).
 *
 * Dropped:
 * - everywhere, code included: Unicode's default-ignorable code points (the
 *   zero-width and bidi controls U+200B–U+200F, U+202A–U+202E, U+2060–U+206F,
 *   U+FEFF, the soft hyphen U+00AD, variation selectors, the tag characters
 *   U+E0000–U+E007F, …), control characters but tab and newline, and the
 *   interlinear annotation marks U+FFF9–U+FFFB;
 * - outside code: HTML comments; raw HTML tags, reduced to the text they
 *   show (an `<img>` or `<picture>` becomes `[image]`; the elements whose
 *   content a page never shows, such as `<svg>`, `<noscript>`, `<template>`,
 *   go with their content; `<script>`, `<style>` and the other tags GitHub
 *   escapes show as text); markdown images' alt text and titles (`![alt](url
 *   "title")` becomes `[image]`); link titles; link reference definitions
 *   (`[x]: url "title"`, which render as nothing, so `[//]: # (text)` hides
 *   text); entities for invisible characters; a code fence's info string.
 * Kept: code blocks and code spans as written (a tag there is visible text),
 * and what `<details>` folds away, which a reader opens with a click.
 *
 * This is not a markdown parser. It follows GitHub's reading
 * (https://github.github.com/gfm/: fenced code, HTML blocks, code spans, raw
 * HTML, images, link reference definitions; then an HTML sanitizer over the
 * whole page), and wherever its reading may differ it takes the one that
 * hides more: the model may miss something a reader sees, never see what a
 * reader does not.
 */
import { stripInvisible } from './invisible-chars.ts';
import { visibleInline, type Swallow } from './untrusted-inline.ts';

/** What a reader sees of `markdown` on GitHub, as markdown (see the module's comment). */
export function visibleText(markdown: string): string {
  let out = '';
  let swallow: Swallow | undefined;
  for (const segment of segments(stripInvisible(markdown))) {
    if (swallow === 'all') break;
    if (segment.kind === 'blank' || segment.kind === 'code') {
      // Code is shown escaped: nothing in it ends a hidden element, and it is visible as written.
      if (swallow === undefined) out += segment.text;
      continue;
    }
    const result = visibleInline(segment.text, { html: segment.kind === 'html', swallow });
    out += result.text;
    swallow = result.swallow;
  }
  return out.replace(/\n{3,}/g, '\n\n').trim();
}

interface Segment {
  /** `prose` is one paragraph: lines up to a blank line or another block. */
  kind: 'prose' | 'html' | 'code' | 'blank';
  text: string;
}

/** An opening code fence: at most three spaces, three or more backticks or tildes, an info string. */
const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
/**
 * Block quote and list item markers before a block, any depth. Read
 * generously: a line taken for an HTML block's start when it is not one
 * only hides more.
 */
const CONTAINERS = /^(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$)))*[ \t]*/;
/** The names that open an HTML block of type 6 (https://github.github.com/gfm/#html-blocks). */
const BLOCK_NAMES =
  'address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|source|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul';
const TYPE_6 = new RegExp(`^</?(?:${BLOCK_NAMES})(?:[\\s/>]|$)`, 'i');
/** Type 7: a whole open or close tag alone on its line (CommonMark's tag grammar). */
const TYPE_7 =
  /^(?:<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*\/?>|<\/[A-Za-z][A-Za-z0-9-]*\s*>)\s*$/;

/** How an HTML block ends: a line matching `closer`, or a blank line. */
type HtmlEnd = { closer: RegExp } | 'blank';

/** The end of the HTML block `line` starts, with what of the line follows its opener; undefined when it starts none. */
function htmlBlockStart(line: string): { end: HtmlEnd; rest: string } | undefined {
  const text = line.replace(CONTAINERS, '');
  if (!text.startsWith('<')) return undefined;
  const raw = /^<(?:script|pre|style|textarea)(?:[\s>]|$)/i.exec(text);
  if (raw) return { end: { closer: /<\/(?:script|pre|style|textarea)>/i }, rest: text.slice(raw[0].length) };
  if (text.startsWith('<!--')) return { end: { closer: /-->/ }, rest: text.slice(4) };
  if (text.startsWith('<?')) return { end: { closer: /\?>/ }, rest: text.slice(2) };
  if (text.startsWith('<![CDATA[')) return { end: { closer: /\]\]>/ }, rest: text.slice(9) };
  if (/^<![A-Za-z]/.test(text)) return { end: { closer: />/ }, rest: text.slice(2) };
  if (TYPE_6.test(text) || TYPE_7.test(text)) return { end: 'blank', rest: '' };
  return undefined;
}

function isBlank(line: string): boolean {
  return /^[ \t]*$/.test(line);
}

/** A closing fence for `fence`: taken with any indentation, so a fence never runs on where GitHub's would end. */
function closesFence(line: string, fence: { char: string; length: number }): boolean {
  const text = line.trim();
  return text.length >= fence.length && [...text].every((char) => char === fence.char);
}

/**
 * The blocks that decide what is code: fenced code blocks, HTML blocks (in
 * which a fence is no fence and a backtick no code span), and paragraphs
 * between blank lines. Indented code blocks, and fences in block quotes or
 * after list markers, are read as prose: their tags are dropped, which hides
 * more, never less.
 */
function segments(text: string): Segment[] {
  const out: Segment[] = [];
  const add = (kind: Segment['kind'], line: string): void => {
    const last = out.at(-1);
    if (last?.kind === kind) last.text += line;
    else out.push({ kind, text: line });
  };
  let fence: { char: string; length: number; indent: number } | undefined;
  let html: HtmlEnd | undefined;
  for (const line of text.split(/(?<=\n)/)) {
    const content = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (fence !== undefined) {
      if (closesFence(content, fence)) {
        add('code', line);
        fence = undefined;
        continue;
      }
      // An indented fence may be a list item's, which GitHub ends with the item: a line indented less ends it here too.
      const dedented = fence.indent > 0 && !isBlank(content) && /^[ \t]*/.exec(content)![0].length < fence.indent;
      if (!dedented) {
        add('code', line);
        continue;
      }
      fence = undefined;
    }
    if (html !== undefined) {
      add('html', line);
      if (html === 'blank' ? isBlank(content) : html.closer.test(content)) html = undefined;
      continue;
    }
    if (isBlank(content)) {
      add('blank', line);
      continue;
    }
    const open = FENCE_OPEN.exec(content);
    // A backtick fence's info string cannot hold a backtick (then it is a code span).
    if (open && !(open[2]!.startsWith('`') && open[3]!.includes('`'))) {
      fence = { char: open[2]![0]!, length: open[2]!.length, indent: open[1]!.length };
      // The info string is not shown (it names the language, or says anything at all).
      add('code', `${open[1]!}${open[2]!}\n`);
      continue;
    }
    const start = htmlBlockStart(content);
    if (start !== undefined) {
      // A new segment for each block: a paragraph before it must not run into it.
      out.push({ kind: 'html', text: line });
      if (start.end === 'blank' || !start.end.closer.test(start.rest)) html = start.end;
      continue;
    }
    add('prose', line);
  }
  return out;
}
