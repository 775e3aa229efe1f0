/**
 * The rules of the Python script (mutate-py-script.ts): a walk over a
 * module's syntax tree that collects each candidate bug — the kind, where
 * it is, the enclosing function, a summary, and the byte edits that make it —
 * as mutate-js-kinds.ts does for JavaScript. Python source kept as a string
 * (no backquote, no dollar-brace), joined into the script at load.
 */
export const MUTATE_PY_RULES = String.raw`
class Walker(object):
    """Collects the candidates of a module: (kind, anchor, function name, summary, edits)."""

    def __init__(self, src, tree):
        self.src = src
        self.out = []
        self.first_bindings = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                child.swe_parent = node

    def add(self, kind, anchor, fn, summary, edits):
        self.out.append((kind, anchor, fn[0] if fn else None, summary, edits))

    def visit(self, node, fn):
        """fn: (name, def node) of the function whose body holds node, or None (module or class level, a default, a decorator)."""
        if isinstance(node, ast.JoinedStr):
            return  # f-string parts have wrong positions before 3.12
        if isinstance(node, FUNCTIONS):
            inner = (self.name_of(node, fn), node)
            self.defaults(node, inner)
            body = node.body if isinstance(node.body, list) else [node.body]
            ids = set(id(statement) for statement in body)
            for child in ast.iter_child_nodes(node):
                self.visit(child, inner if id(child) in ids else fn)
            return
        if fn is not None:
            self.rules(node, fn)
        for child in ast.iter_child_nodes(node):
            self.visit(child, fn)

    def name_of(self, node, fn):
        """A def's name; a lambda's is the name it is assigned to, else that of the function around it."""
        if not isinstance(node, ast.Lambda):
            return node.name
        parent = node.swe_parent
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is node:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], (ast.Name, ast.Attribute)):
                return flat(self.src.text(targets[0]))
        return fn[0] if fn else None

    def rules(self, node, fn):
        if isinstance(node, ast.Compare):
            self.compare(node, fn)
        elif isinstance(node, ast.BoolOp):
            op = 'and' if isinstance(node.op, ast.And) else 'or'
            for left, right in zip(node.values, node.values[1:]):
                span = self.operator(left, right, op)
                if span is not None:
                    edit = (span[0], span[1], ('or' if op == 'and' else 'and').encode())
                    self.add('flip_boolean_operator', span[0], fn, self.src.replaced(self.span(node), edit), [edit])
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            self.boolean(node, fn)
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            self.literal(node, fn)
        elif isinstance(node, ast.If):
            self.if_statement(node, fn)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value is not None and self.rebinds(node, fn[1]):
            edit = self.removal(node)
            self.add('remove_assignment', self.src.start(node), fn, 'removed ' + BT + snippet(self.src.text(node)) + BT, [edit])

    def span(self, node):
        return (self.src.start(node), self.src.end(node))

    def operator(self, left, right, written):
        """The span of the operator written between two operands (past parentheses, comments, line joins), or None when the text there is not it."""
        base, gap = self.src.end(left), self.src.data[self.src.end(left):self.src.start(right)]
        words, i = [], 0
        while i < len(gap):
            if gap[i:i + 1] == b'#':
                while i < len(gap) and gap[i:i + 1] not in b'\r\n':
                    i += 1
            elif gap[i:i + 1] in GAP_SKIP:
                i += 1
            else:
                j = i
                while j < len(gap) and gap[j:j + 1] not in GAP_SKIP + b'#':
                    j += 1
                words.append((base + i, base + j, gap[i:j]))
                i = j
        if [word for _, _, word in words] != written.encode().split():
            return None
        return (words[0][0], words[-1][1])

    def compare(self, node, fn):
        operands = [node.left] + node.comparators
        parent = node.swe_parent
        loop = isinstance(parent, ast.While) and parent.test is node
        for i, op in enumerate(node.ops):
            written, flipped = COMPARISON_FLIP[type(op)]
            span = self.operator(operands[i], operands[i + 1], written)
            if span is None:
                continue
            edit = (span[0], span[1], flipped.encode())
            self.add('flip_comparison', span[0], fn, self.src.replaced(self.span(node), edit), [edit])
            if loop and type(op) in BOUND_SHIFT:
                edit = (span[0], span[1], BOUND_SHIFT[type(op)].encode())
                self.add('off_by_one', span[0], fn, 'loop bound ' + self.src.replaced(self.span(node), edit), [edit])

    def boolean(self, node, fn):
        """True <-> False where the code hands the value on: an argument, a return value, a lambda's body, an assigned value."""
        parent = node.swe_parent
        around = parent
        if isinstance(parent, ast.keyword):
            around = parent.swe_parent
        elif isinstance(parent, ast.Call):
            if not any(arg is node for arg in parent.args):
                return
        elif not (isinstance(parent, (ast.Return, ast.Lambda, ast.Assign, ast.AnnAssign)) and getattr(parent, 'value', getattr(parent, 'body', None)) is node):
            return
        edit = (self.src.start(node), self.src.end(node), b'False' if node.value else b'True')
        self.add('flip_boolean_literal', edit[0], fn, self.src.replaced(self.span(around), edit), [edit])

    def up(self, node):
        parent = node.swe_parent
        return parent.swe_parent if INDEX is not None and isinstance(parent, INDEX) else parent

    def is_index_or_bound(self, node):
        """An index (xs[1], xs[:-1]), an operand of < <= > >=, of an equality with len(...), or an argument of range()."""
        parent = self.up(node)
        if isinstance(parent, ast.Subscript):
            return parent.value is not node
        if isinstance(parent, ast.Slice):
            return node is parent.lower or node is parent.upper
        if isinstance(parent, ast.Call):
            return isinstance(parent.func, ast.Name) and parent.func.id == 'range' and any(arg is node for arg in parent.args)
        if not isinstance(parent, ast.Compare):
            return False
        operands = [parent.left] + parent.comparators
        k = [i for i, operand in enumerate(operands) if operand is node][0]
        for i in (k - 1, k):
            if 0 <= i < len(parent.ops):
                other = operands[i] if i == k - 1 else operands[i + 1]
                if type(parent.ops[i]) in BOUND_SHIFT:
                    return True
                if isinstance(parent.ops[i], (ast.Eq, ast.NotEq)) and isinstance(other, ast.Call) and isinstance(other.func, ast.Name) and other.func.id == 'len':
                    return True
        return False

    def literal(self, node, fn):
        """off_by_one: an integer that is an index or a bound, or the right of a +/- that is one: N -> N - 1 (0 -> 1); -N -> -(N + 1)."""
        written = self.src.text(node)
        if not PLAIN_INTEGER.match(written):
            return
        value = node
        if isinstance(node.swe_parent, ast.UnaryOp) and isinstance(node.swe_parent.op, ast.USub):
            value = node.swe_parent
        parent = self.up(value)
        if not self.is_index_or_bound(value):
            if not (isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub)) and parent.right is value and self.is_index_or_bound(parent)):
                return
        number = int(written)
        changed = number + 1 if value is not node else (1 if number == 0 else number - 1)
        around = parent
        while not isinstance(around, ast.expr) or isinstance(around, ast.Slice):
            around = around.swe_parent  # Index, Slice (no positions in 3.8), keyword: the expression around them
        edit = (self.src.start(node), self.src.end(node), str(changed).encode())
        self.add('off_by_one', edit[0], fn, self.src.replaced(self.span(around), edit), [edit])

    def own_lines(self, statements, comments=False):
        """The lines a block's statements fill, when nothing else is on them (a trailing comment aside), else None;
        with comments, also the comment lines right above (they go with the block)."""
        first, last = statements[0], statements[-1]
        head = min([first] + list(getattr(first, 'decorator_list', [])), key=lambda node: node.lineno)
        if self.src.lines[head.lineno - 1][:head.col_offset].strip() not in (b'', b'@'):
            return None
        tail = self.src.lines[last.end_lineno - 1][last.end_col_offset:].strip()
        if tail and not tail.startswith(b'#'):
            return None
        line = head.lineno
        while comments and line > 1 and self.src.lines[line - 2].strip().startswith(b'#'):
            line -= 1
        return (self.src.starts[line - 1], self.src.starts[last.end_lineno])

    def if_statement(self, node, fn):
        orelse = node.orelse
        condition = BT + 'if ' + snippet(self.src.text(node.test)) + BT
        if orelse:
            if self.is_elif(orelse[0]) or ast.dump(ast.Module(body=node.body, type_ignores=[])) == ast.dump(ast.Module(body=orelse, type_ignores=[])):
                return
            then, other = self.own_lines(node.body, True), self.own_lines(orelse, True)
            if then is None or other is None or not self.src.data[:then[1]].endswith((b'\n', b'\r')) or not self.src.data[:other[1]].endswith((b'\n', b'\r')):
                # Branches on the header lines (if x: a / else: b): swap the statements themselves.
                then = (self.src.start(node.body[0]), self.src.end(node.body[-1]))
                other = (self.src.start(orelse[0]), self.src.end(orelse[-1]))
            data = self.src.data
            edits = [(then[0], then[1], data[other[0]:other[1]]), (other[0], other[1], data[then[0]:then[1]])]
            self.add('swap_if_else', self.src.start(node), fn, 'swapped the branches of ' + condition, edits)
        elif isinstance(node.body[-1], (ast.Return, ast.Raise)):
            self.add('remove_guard', self.src.start(node), fn, 'removed the guard ' + BT + snippet(self.src.text(node)) + BT, [self.removal(node)])

    def is_elif(self, node):
        parent = node.swe_parent
        return isinstance(parent, ast.If) and len(parent.orelse) == 1 and parent.orelse[0] is node and self.src.data.startswith(b'elif', self.src.start(node))

    def removal(self, node):
        """Removing a statement: its whole lines when nothing else is on them (a trailing comment goes too), else its span;
        the only statement of a block becomes pass (a block cannot be empty), but an elif just goes."""
        parent = node.swe_parent
        siblings = [value for value in (getattr(parent, field, None) for field in parent._fields) if isinstance(value, list) and any(x is node for x in value)]
        if siblings and len(siblings[0]) == 1 and not self.is_elif(node):
            return (self.src.start(node), self.src.end(node), b'pass')
        lines = self.own_lines([node])
        if lines is not None:
            return (lines[0], lines[1], b'')
        return (self.src.start(node), self.src.end(node), b'')

    def rebinds(self, node, fndef):
        """An assignment, not a first binding (Python's declaration): to an attribute or item, augmented, or to names bound before in the function."""
        if isinstance(node, ast.AugAssign):
            return True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        if not names:
            return True
        if id(fndef) not in self.first_bindings:
            self.first_bindings[id(fndef)] = self.bindings(fndef)
        first = self.first_bindings[id(fndef)]
        return all(first.get(name, node.lineno) < node.lineno for name in names)

    def bindings(self, fndef):
        """The first line each name is bound on in a function: parameters, global/nonlocal at 0, stores at their line."""
        first = {}
        a = fndef.args
        for arg in list(getattr(a, 'posonlyargs', [])) + a.args + a.kwonlyargs + [x for x in (a.vararg, a.kwarg) if x]:
            first[arg.arg] = 0
        for n in ast.walk(fndef):
            if isinstance(n, (ast.Global, ast.Nonlocal)):
                for name in n.names:
                    first[name] = 0
            elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                first[n.id] = min(first.get(n.id, n.lineno), n.lineno)
        return first

    def defaults(self, node, fn):
        """change_default: a parameter's default: N -> N + 1, -N -> -N + 1, a boolean flipped, a string emptied (empty -> 'x')."""
        a = node.args
        positional = list(getattr(a, 'posonlyargs', [])) + a.args
        pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults))
        pairs += [(arg, value) for arg, value in zip(a.kwonlyargs, a.kw_defaults) if value is not None]
        for arg, value in pairs:
            text = self.changed_default(value)
            if text is not None:
                edit = (self.src.start(value), self.src.end(value), text.encode('utf-8'))
                self.add('change_default', edit[0], fn, 'default ' + self.src.replaced((self.src.start(arg), edit[1]), edit), [edit])

    def changed_default(self, value):
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) and isinstance(value.operand, ast.Constant):
            written = self.src.text(value.operand)
            return str(1 - int(written)) if type(value.operand.value) is int and PLAIN_INTEGER.match(written) else None
        if not isinstance(value, ast.Constant):
            return None
        if type(value.value) is bool:
            return 'False' if value.value else 'True'
        if type(value.value) is int:
            return str(value.value + 1) if PLAIN_INTEGER.match(self.src.text(value)) else None
        if isinstance(value.value, (str, bytes)):
            match = STRING_START.match(self.src.text(value))
            if match:
                return match.group(1) + match.group(2) + ('' if value.value else 'x') + match.group(2)
        return None
`;
