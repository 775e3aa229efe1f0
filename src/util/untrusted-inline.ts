/**
 * The inline half of ./untrusted-text.ts: one paragraph (or one HTML block)
 * read left to right as GitHub reads inlines (https://github.github.com/gfm/#inlines):
 * backslash escapes, code spans, autolinks and raw HTML take what they
 * start, the leftmost first; images and links pair their brackets on a
 * stack. What a reader does not see is dropped; where this reading may part
 * from GitHub's, it drops more (see the module above).
 *
 * Code spans are where that matters: their text is kept as written, so one
 * taken where GitHub has none would show hidden markup. A code span is kept
 * only when it closes on its own line without a `|` (a table cell may end
 * inside it) and nothing before it in the paragraph could pair backticks
 * differently (an unclosed run, or a construct this reading drops that held
 * a backtick); after that, the paragraph's backticks are plain text.
 */
import { isInvisible } from './invisible-chars.ts';
import { backtickRuns, codeSpanEnd, runLength } from './untrusted-code-spans.ts';

/** Inside an element whose content a page does not show (`depth` of nested ones), or hidden to the end. */
export type Swallow = 'all' | { name: string; depth: number };

export interface InlineOptions {
  /** An HTML block: raw HTML, where backticks and backslashes are plain characters. */
  html: boolean;
  /** Carried over from the blocks before. */
  swallow: Swallow | undefined;
}

/** Elements shown with none of their content (what the page's sanitizer removes whole, and media fallbacks). */
const HIDDEN_CONTENT = new Set(['template', 'noscript', 'object', 'svg', 'math', 'video', 'audio', 'picture']);
/**
 * Tags GitHub shows as text, `<` escaped, their content read as usual
 * (https://github.github.com/gfm/#disallowed-raw-html-extension-): shown by
 * name only, as attributes may hold markup that the page still reads.
 */
const TAG_FILTERED = new Set(['title', 'textarea', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'script', 'plaintext']);
/** Characters of a link's or image's `(destination "title")` read at most; a longer one hides the rest of its paragraph. */
const LINK_TAIL_MAX = 2048;

const ATTRIBUTE = String.raw`(?:\s+[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:[^\s"'=<>\x60]+|'[^']*'|"[^"]*"))?)`;
/** CommonMark's open tag, which a paragraph passes on as HTML. */
const OPEN_TAG = new RegExp(String.raw`<([A-Za-z][A-Za-z0-9-]*)${ATTRIBUTE}*\s*/?>`, 'y');
const CLOSE_TAG = /<\/([A-Za-z][A-Za-z0-9-]*)\s*>/y;
/** A tag as a browser reads one: up to the first `>` outside quotes. For HTML blocks, passed on as they are. */
const LOOSE_TAG = /<\/?([A-Za-z][^\s/>"']*)(?:[^>"']|"[^"]*"|'[^']*')*>/y;
const AUTOLINK =
  /<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[A-Za-z0-9.!#$%&'*+/=?^_\x60{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>/y;
const ENTITY = /&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/y;
/** Named entities of invisible characters (https://html.spec.whatwg.org/multipage/named-characters.html). */
const INVISIBLE_ENTITIES = new Set([
  'shy', 'zwj', 'zwnj', 'lrm', 'rlm', 'ZeroWidthSpace', 'NegativeVeryThinSpace', 'NegativeThinSpace', 'NegativeMediumSpace', 'NegativeThickSpace',
  'NoBreak', 'InvisibleTimes', 'it', 'InvisibleComma', 'ic', 'ApplyFunction', 'af',
]);
/**
 * Link reference definitions render as nothing: `[label]: destination "title"`,
 * also in a block quote or list item, the title possibly on the next line.
 * Read generously (a definition that is none is hidden too); not footnotes (`[^1]:`), which show.
 */
const DEFINITION =
  /^(?:[ \t]*(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t])))*[ \t]*\[(?!\^)(?:[^\\[\]]|\\[\s\S]){0,999}\]:[ \t]*\n?[ \t]*(?:<[^<>\n]*>|[^\s<]\S*)?(?:[ \t]*\n?[ \t]*(?:"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\)))?[ \t]*(?:\n|$)/gm;

/** What a reader sees of one paragraph (or HTML block) `text`, and whether a hidden element runs on past it. */
export function visibleInline(source: string, options: InlineOptions): { text: string; swallow: Swallow | undefined } {
  const html = options.html;
  let dirty = false;
  let text = source;
  if (!html) {
    text = source.replace(DEFINITION, (definition) => {
      if (definition.includes('`')) dirty = true;
      return '';
    });
  }
  const runs = html ? undefined : backtickRuns(text);
  const find = closerFinder(text);
  const out: string[] = [];
  /** Brackets waiting for their `]`: where their text starts in `out`. */
  const brackets: { out: number; image: boolean }[] = [];
  const special = html ? /[<![\]&]/g : /[\\`<![\]&]/g;
  let swallow = options.swallow;
  let i = 0;
  /** Drops what `consumed` covers; a backtick in it may pair differently on GitHub. */
  const drop = (consumed: string): void => {
    if (consumed.includes('`')) dirty = true;
  };

  while (i < text.length) {
    if (swallow !== undefined) {
      if (swallow === 'all') return { text: out.join(''), swallow };
      const after = endOfHidden(text, i, swallow, html);
      drop(text.slice(i, after.index));
      i = after.index;
      swallow = after.swallow;
      if (swallow !== undefined) return { text: out.join(''), swallow };
      continue;
    }
    special.lastIndex = i;
    const found = special.exec(text);
    if (found === null) {
      out.push(text.slice(i));
      break;
    }
    out.push(text.slice(i, found.index));
    i = found.index;
    const char = text[i]!;
    if (char === '\\') {
      // An escaped character is itself, whatever it would have started (not in HTML blocks).
      const next = text[i + 1];
      const escaped = next !== undefined && /[!-/:-@[-`{-~]/.test(next);
      out.push(text.slice(i, escaped ? i + 2 : i + 1));
      i += escaped ? 2 : 1;
    } else if (char === '`') {
      const length = runLength(text, i);
      const end = dirty || runs === undefined ? undefined : codeSpanEnd(text, runs, i, length);
      if (end === undefined) {
        dirty = true;
        out.push(text.slice(i, i + length));
        i += length;
      } else {
        out.push(text.slice(i, end));
        i = end;
      }
    } else if (char === '<') {
      const markup = html ? rawHtml(text, i, find) : inlineHtml(text, i, find);
      if (markup === undefined) {
        out.push('<');
        i += 1;
      } else if (markup === 'all') {
        return { text: out.join(''), swallow: 'all' };
      } else {
        if (markup.keep) out.push(text.slice(i, markup.end));
        else drop(text.slice(i, markup.end));
        if (markup.show !== undefined) out.push(markup.show);
        if (markup.hides !== undefined) swallow = { name: markup.hides, depth: 1 };
        i = markup.end;
      }
    } else if (char === '!') {
      if (text[i + 1] === '[') {
        brackets.push({ out: out.length, image: true });
        out.push('![');
        i += 2;
      } else {
        out.push('!');
        i += 1;
      }
    } else if (char === '[') {
      brackets.push({ out: out.length, image: false });
      out.push('[');
      i += 1;
    } else if (char === ']') {
      const opener = brackets.pop();
      i += 1;
      if (opener === undefined) {
        out.push(']');
        continue;
      }
      const tail = text[i] === '(' ? linkTail(text, i) : opener.image && text[i] === '[' ? referenceLabel(text, i) : undefined;
      if (tail === 'long') {
        // GitHub may read a title out there that this does not: hide the paragraph's rest.
        out.length = opener.image ? opener.out : out.length;
        out.push(opener.image ? '[image]' : ']');
        drop(text.slice(i));
        i = text.length;
        continue;
      }
      if (opener.image) {
        // The image, its alt text and title: a reader sees a picture, or nothing.
        out.length = opener.out;
        out.push('[image]');
        if (tail !== undefined) {
          drop(text.slice(i, tail.end));
          i = tail.end;
        }
      } else if (tail !== undefined && text[i] === '(') {
        // A link shows its text; its title only on hover.
        out.push(`](${tail.destination})`);
        drop(text.slice(i, tail.end));
        i = tail.end;
      } else {
        out.push(']');
      }
    } else {
      const entity = entityAt(text, i);
      out.push(entity.show);
      i = entity.end;
    }
  }
  return { text: out.join(''), swallow };
}

interface Markup {
  end: number;
  /** Kept as written (an autolink). */
  keep?: boolean;
  /** Shown instead (`[image]`, a line break). */
  show?: string;
  /** The element whose content is hidden, which this tag opens. */
  hides?: string;
}

/** Raw HTML in a paragraph (CommonMark's grammar: what does not match it is shown as text), or an autolink. */
function inlineHtml(text: string, at: number, find: Find): Markup | undefined {
  AUTOLINK.lastIndex = at;
  if (AUTOLINK.test(text)) return { end: AUTOLINK.lastIndex, keep: true };
  const other = commentLike(text, at, find);
  if (other !== undefined) return other === 'all' ? undefined : other;
  CLOSE_TAG.lastIndex = at;
  const close = CLOSE_TAG.exec(text);
  if (close !== null) return closeTag(close[1]!, CLOSE_TAG.lastIndex);
  OPEN_TAG.lastIndex = at;
  const open = OPEN_TAG.exec(text);
  return open === null ? undefined : openTag(open[1]!, OPEN_TAG.lastIndex);
}

/** Raw HTML in an HTML block, read as a browser reads it: an unclosed tag or comment runs on over what follows. */
function rawHtml(text: string, at: number, find: Find): Markup | 'all' | undefined {
  const other = commentLike(text, at, find);
  if (other !== undefined) return other;
  LOOSE_TAG.lastIndex = at;
  const tag = LOOSE_TAG.exec(text);
  if (tag !== null) return text[at + 1] === '/' ? closeTag(tag[1]!, LOOSE_TAG.lastIndex) : openTag(tag[1]!, LOOSE_TAG.lastIndex);
  // `<name` or `</name` with no end: a browser reads what follows as the tag's attributes.
  return /^<\/?[A-Za-z]/.test(text.slice(at, at + 3)) ? 'all' : undefined;
}

function openTag(name: string, end: number): Markup {
  const lower = name.toLowerCase();
  if (TAG_FILTERED.has(lower)) return { end, show: `<${lower}>` };
  if (lower === 'img' || lower === 'picture') return { end, show: '[image]', ...(lower === 'picture' ? { hides: lower } : {}) };
  if (lower === 'br') return { end, show: '\n' };
  return HIDDEN_CONTENT.has(lower) ? { end, hides: lower } : { end };
}

function closeTag(name: string, end: number): Markup {
  const lower = name.toLowerCase();
  return TAG_FILTERED.has(lower) ? { end, show: `</${lower}>` } : { end };
}

/** Comments, processing instructions, declarations, CDATA: dropped when closed; `all` when not. */
function commentLike(text: string, at: number, find: Find): Markup | 'all' | undefined {
  const start = text.startsWith('<!--', at)
    ? { open: 4, close: '-->' }
    : text.startsWith('<?', at)
      ? { open: 2, close: '?>' }
      : text.startsWith('<![CDATA[', at)
        ? { open: 9, close: ']]>' }
        : /^<![A-Za-z]/.test(text.slice(at, at + 3))
          ? { open: 2, close: '>' }
          : undefined;
  if (start === undefined) return undefined;
  const close = find(start.close, at + start.open);
  return close === -1 ? 'all' : { end: close + start.close.length };
}

/**
 * Where the hidden element `swallow` ends in `text` from `at`, or the
 * element still open at the end. In a paragraph, a closing tag counts only
 * before any backtick or backslash (either could make it a code span's or
 * an escaped text, which closes nothing); nested elements of the same name count.
 */
function endOfHidden(text: string, at: number, swallow: { name: string; depth: number }, html: boolean): { index: number; swallow: Swallow | undefined } {
  const tags = new RegExp(`<(/?)${swallow.name}(?=[\\s/>]|$)`, 'gi');
  tags.lastIndex = at;
  let depth = swallow.depth;
  const unsafe = html ? -1 : text.slice(at).search(/[`\\]/);
  const limit = unsafe === -1 ? text.length : at + unsafe;
  for (let match = tags.exec(text); match !== null; match = tags.exec(text)) {
    if (match[1] === '') {
      depth += 1;
      continue;
    }
    if (match.index >= limit) break;
    depth -= 1;
    if (depth === 0) {
      const end = text.indexOf('>', match.index);
      return end === -1 ? { index: text.length, swallow: 'all' } : { index: end + 1, swallow: undefined };
    }
  }
  return { index: text.length, swallow: { name: swallow.name, depth } };
}

/** `text.indexOf(closer, from)`, answering at once past the closer's last occurrence: many unclosed openers cost one scan, not one each. */
type Find = (closer: string, from: number) => number;

function closerFinder(text: string): Find {
  const last = new Map<string, number>();
  return (closer, from) => {
    let lastAt = last.get(closer);
    if (lastAt === undefined) {
      lastAt = text.lastIndexOf(closer);
      last.set(closer, lastAt);
    }
    return from > lastAt ? -1 : text.indexOf(closer, from);
  };
}

/** `(destination "title")` after a link's or image's `]` at `at`; `long` past {@link LINK_TAIL_MAX}. */
function linkTail(text: string, at: number): { end: number; destination: string } | 'long' | undefined {
  const limit = Math.min(text.length, at + LINK_TAIL_MAX);
  let i = skipSpace(text, at + 1, limit);
  const start = i;
  if (text[i] === '<') {
    while (i < limit && text[i] !== '>' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
    if (i >= limit) return text.length > limit ? 'long' : undefined;
    if (text[i] !== '>') return undefined;
    i += 1;
  } else {
    let depth = 0;
    for (; i < limit; i += 1) {
      const char = text[i]!;
      if (char === '\\') i += 1;
      else if (char === '(') depth += 1;
      else if (char === ')' && depth === 0) break;
      else if (char === ')') depth -= 1;
      else if (/\s/.test(char)) break;
    }
  }
  const destination = text.slice(start, i);
  i = skipSpace(text, i, limit);
  const quote = text[i];
  if (quote === '"' || quote === "'" || quote === '(') {
    const close = quote === '(' ? ')' : quote;
    i += 1;
    while (i < limit && text[i] !== close) i += text[i] === '\\' ? 2 : 1;
    if (i >= limit) return text.length > limit ? 'long' : undefined;
    i = skipSpace(text, i + 1, limit);
  }
  if (i >= limit) return text.length > limit ? 'long' : undefined;
  return text[i] === ')' ? { end: i + 1, destination } : undefined;
}

/** `[label]` of a reference image or link after its `]` at `at`. */
function referenceLabel(text: string, at: number): { end: number; destination: string } | 'long' | undefined {
  const limit = Math.min(text.length, at + LINK_TAIL_MAX);
  let i = at + 1;
  while (i < limit && text[i] !== ']' && text[i] !== '[') i += text[i] === '\\' ? 2 : 1;
  if (i >= limit) return text.length > limit ? 'long' : undefined;
  return text[i] === ']' ? { end: i + 1, destination: '' } : undefined;
}

function skipSpace(text: string, at: number, limit: number): number {
  let i = at;
  while (i < limit && /\s/.test(text[i]!)) i += 1;
  return i;
}

/** An entity at `at`: dropped when it stands for an invisible character, otherwise kept as written. */
function entityAt(text: string, at: number): { end: number; show: string } {
  ENTITY.lastIndex = at;
  const match = ENTITY.exec(text);
  if (match === null) return { end: at + 1, show: '&' };
  const end = ENTITY.lastIndex;
  if (match[3] !== undefined) return { end, show: INVISIBLE_ENTITIES.has(match[3]) ? '' : match[0] };
  const code = match[1] !== undefined ? Number(match[1]) : Number.parseInt(match[2]!, 16);
  // Browsers read a reference outside Unicode, a surrogate or NUL as U+FFFD.
  const char = code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? '\uFFFD' : String.fromCodePoint(code);
  return { end, show: isInvisible(char) ? '' : match[0] };
}
