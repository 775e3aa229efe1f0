/**
 * The Python half of mutate-py.ts (which describes its rules and its
 * output): the script that finds the candidate bugs of Python files, run by
 * the repository's own Python in its environment container, kept here as a
 * string so it ships with the package. Python 3.8+ (end positions of nodes
 * came in 3.8), standard library only. It has no backquote and no
 * dollar-brace, so it sits in raw template literals unchanged: the prelude
 * (imports, constants, the source reader) here, the rules that find the
 * candidates in mutate-py-rules-script.ts, and the driver here.
 */
import { MUTATE_PY_RULES } from './mutate-py-rules-script.ts';

/** Imports, constants and the source reader. */
const PRELUDE = String.raw`
import ast, bisect, codecs, io, json, os, re, sys, tokenize, warnings

# No ast.unparse (3.9+): every text is a splice of the file's own bytes. ASCII only (read from stdin).
warnings.simplefilter('ignore')  # SyntaxWarning/DeprecationWarning must not reach stdout or stderr
BT = chr(96)
ARROW = ' \u2192 '
ELLIPSIS = '\u2026'
PLAIN_INTEGER = re.compile(r'(?:0|[1-9][0-9]*)\Z')
STRING_START = re.compile(r'([rRbBuU]{0,2})(\'\'\'|"""|\'|")')
GENERATED = re.compile(br'@generated|DO NOT EDIT')
HEADER_LINES = 5
SNIPPET_MAX = 60
# A subscript's index is wrapped in ast.Index up to 3.8 (deprecated after).
INDEX = ast.Index if sys.version_info < (3, 9) else None
COMPARISON_FLIP = {ast.Lt: ('<', '>='), ast.GtE: ('>=', '<'), ast.Gt: ('>', '<='), ast.LtE: ('<=', '>'),
                   ast.Eq: ('==', '!='), ast.NotEq: ('!=', '=='), ast.Is: ('is', 'is not'), ast.IsNot: ('is not', 'is'),
                   ast.In: ('in', 'not in'), ast.NotIn: ('not in', 'in')}
BOUND_SHIFT = {ast.Lt: '<=', ast.LtE: '<', ast.Gt: '>=', ast.GtE: '>'}
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
GAP_SKIP = b' \t\f\r\n\\()'

def flat(text):
    return re.sub(r'\s+', ' ', text).strip()

def snippet(text, at=0):
    """text on one line; when long, a window starting a little before at, so the change stays in view."""
    if len(flat(text)) <= SNIPPET_MAX:
        return flat(text)
    start = max(0, at - 25)
    stop = min(len(text), start + SNIPPET_MAX)
    return (ELLIPSIS if start > 0 else '') + flat(text[start:stop]) + (ELLIPSIS if stop < len(text) else '')

class Source(object):
    """The file's bytes by line: ast columns are UTF-8 byte offsets into a line."""

    def __init__(self, data):
        self.data = data
        # bytes.splitlines breaks at \n, \r and \r\n only, as Python's tokenizer does.
        self.lines = data.splitlines(True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def start(self, node):
        return self.starts[node.lineno - 1] + node.col_offset

    def end(self, node):
        return self.starts[node.end_lineno - 1] + node.end_col_offset

    def text(self, node):
        return self.data[self.start(node):self.end(node)].decode('utf-8')

    def line_of(self, offset):
        return bisect.bisect_right(self.starts, offset)

    def replaced(self, span, edit):
        """One line for people: the text of span, and the same with edit (inside it) applied."""
        before = self.data[span[0]:span[1]]
        cut = edit[0] - span[0]
        after = before[:cut] + edit[2] + before[edit[1] - span[0]:]
        at = len(before[:cut].decode('utf-8'))
        return BT + snippet(before.decode('utf-8'), at) + BT + ARROW + BT + snippet(after.decode('utf-8'), at) + BT
`;

/** Sampling, applying the edits, and the command line: one JSON line per file. */
const DRIVER = String.raw`
def sample(items, limit):
    """limit items spread evenly over items, in their order (as mutate-js.ts samples)."""
    if len(items) <= limit:
        return items
    return [items[(i * len(items)) // limit] for i in range(limit)]

def apply(data, edits):
    for start, end, text in sorted(edits, key=lambda edit: -edit[0]):
        data = data[:start] + text + data[end:]
    return data

def line_change(old, new):
    """The changed lines as (first, last, new text): old lines first..last (1-based, inclusive) become the text."""
    k, n = 0, min(len(old), len(new))
    while k < n and old[k] == new[k]:
        k += 1
    m = 0
    while m < n - k and old[len(old) - 1 - m] == new[len(new) - 1 - m]:
        m += 1
    return k + 1, len(old) - m, b''.join(new[k:len(new) - m])

def mutations_of(path, config):
    if os.path.islink(path) or not os.path.isfile(path):
        return {'file': path, 'skipped': 'not a regular file'}
    with open(path, 'rb') as handle:
        raw = handle.read()
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(raw).readline)[0]
    except SyntaxError:
        encoding = 'unknown'
    if len(raw) > config['maxBytes'] or encoding not in ('utf-8', 'utf-8-sig'):
        return {'file': path, 'skipped': 'too large or not UTF-8'}  # the result is written back as UTF-8
    bom = raw.startswith(codecs.BOM_UTF8)
    data = raw[len(codecs.BOM_UTF8):] if bom else raw
    try:
        text = data.decode('utf-8')
        tree = ast.parse(data, filename=path)
    except Exception:  # invalid UTF-8, a syntax error for this Python, null bytes, too deep
        return {'file': path, 'skipped': 'does not parse'}
    src = Source(data)
    if GENERATED.search(b''.join(src.lines[:HEADER_LINES])):
        return {'file': path, 'skipped': 'generated'}
    walker = Walker(src, tree)
    walker.visit(tree, None)
    kinds = config['kinds']
    candidates = sample(sorted(walker.out, key=lambda c: (c[1], kinds.index(c[0]))), config['max'])
    seen = set([data])
    mutations = []
    for kind, anchor, fn, summary, edits in candidates:
        after = apply(data, edits)
        if after in seen:
            continue  # two rules may make the same text
        try:
            ast.parse(after, filename=path)
            first, last, lines = line_change(src.lines, after.splitlines(True))
            lines = lines.decode('utf-8')
        except Exception:
            continue
        seen.add(after)
        mutations.append({'kind': kind, 'line': src.line_of(anchor), 'function': fn, 'summary': summary,
                          'start': first, 'end': last, 'lines': lines})
    return {'file': path, 'text': text, 'bom': bom, 'mutations': mutations}

def main():
    config = json.loads(sys.argv[1])
    for path in sys.argv[2:]:
        try:
            record = mutations_of(path, config)
        except Exception as error:  # one file's surprise must not cost the others
            record = {'file': path, 'skipped': 'error: ' + type(error).__name__}
        sys.stdout.write(json.dumps(record) + '\n')
        sys.stdout.flush()

main()
`;

export const MUTATE_PY_SCRIPT = `${PRELUDE}\n${MUTATE_PY_RULES}\n${DRIVER}`;
