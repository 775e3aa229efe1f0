/**
 * The rules of the bug kinds of mutate-js.ts: where in a parsed file each
 * kind applies and the text splices that make the bug. Nothing here checks
 * that a result still parses; mutate-js.ts does, on every candidate.
 *
 * The walk and the node tests are the TypeScript compiler API
 * (https://github.com/microsoft/TypeScript/wiki/Using-the-Compiler-API,
 * declared in typescript.d.ts): `ts.forEachChild` visits a node's children
 * in source order, the `ts.isXxx` guards narrow node kinds, `node.getStart()`
 * is where a node's own text begins (`node.pos` is earlier, before its
 * leading comments and whitespace) and `node.end` where it ends. Edits are
 * splices of those spans, so the rest of the file keeps its formatting.
 */
import ts from 'typescript';

/**
 * The kinds of bug, in the order used to sort candidates at one position.
 * All but change_default apply only inside a function body (a function,
 * method, constructor, accessor, arrow or function expression), never at
 * top level, in a parameter list or a class field:
 * - flip_comparison: `<` ↔ `>=`, `>` ↔ `<=`, `===` ↔ `!==`, `==` ↔ `!=`.
 * - flip_boolean_operator: `&&` ↔ `||`.
 * - off_by_one: a decimal integer N that is an index or bound (isBoundLiteral)
 *   becomes 1 when N is 0, else N - 1; and a `for` condition's `<` ↔ `<=`,
 *   `>` ↔ `>=`.
 * - swap_if_else: an `if` with a plain `else` (not `else if`) trades its branches.
 * - remove_guard: an `if` without `else` whose branch is, or ends with, a
 *   `return` or `throw` is removed.
 * - remove_assignment: a statement that is an assignment (`=`, `+=`, …, `??=`)
 *   is removed; declarations are not.
 * - change_default: any function's parameter default: integer N → N + 1,
 *   `-N` → `-N + 1`, boolean flipped, string → empty (empty → 'x').
 * - flip_boolean_literal: `true` ↔ `false` as a call argument, return value,
 *   arrow body, assigned (`=`) or initial (`let x = …`) value.
 * Removals (remove_guard, remove_assignment) apply only to statements of a
 * block or `case`, so no `if`/loop is left without its statement.
 */
export const BUG_KINDS = ['flip_comparison', 'flip_boolean_operator', 'off_by_one', 'swap_if_else', 'remove_guard', 'remove_assignment', 'change_default', 'flip_boolean_literal'] as const;
/** One kind of bug. */
export type BugKind = (typeof BUG_KINDS)[number];

/** Replace `[start, end)` of the original text with `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** A change before it is applied and checked. */
export interface Candidate {
  kind: BugKind;
  /** Where the change is: its line, and its place in the order. */
  anchor: number;
  /** The function it is in (or, for change_default, whose parameter it is). */
  fn: FunctionWithBody;
  /** What it does, without where. */
  summary: string;
  /** Non-overlapping edits of the original text. */
  edits: Edit[];
}

export type FunctionWithBody = ts.FunctionLikeDeclaration & { body: ts.ConciseBody };

const COMPARISON_FLIP = new Map<ts.SyntaxKind, string>([
  [ts.SyntaxKind.LessThanToken, '>='],
  [ts.SyntaxKind.GreaterThanEqualsToken, '<'],
  [ts.SyntaxKind.GreaterThanToken, '<='],
  [ts.SyntaxKind.LessThanEqualsToken, '>'],
  [ts.SyntaxKind.EqualsEqualsEqualsToken, '!=='],
  [ts.SyntaxKind.ExclamationEqualsEqualsToken, '==='],
  [ts.SyntaxKind.EqualsEqualsToken, '!='],
  [ts.SyntaxKind.ExclamationEqualsToken, '=='],
]);
/** A loop bound one step looser or tighter: `i < n` ↔ `i <= n`. */
const BOUND_SHIFT = new Map<ts.SyntaxKind, string>([
  [ts.SyntaxKind.LessThanToken, '<='],
  [ts.SyntaxKind.LessThanEqualsToken, '<'],
  [ts.SyntaxKind.GreaterThanToken, '>='],
  [ts.SyntaxKind.GreaterThanEqualsToken, '>'],
]);
const LOGICAL_FLIP = new Map<ts.SyntaxKind, string>([
  [ts.SyntaxKind.AmpersandAmpersandToken, '||'],
  [ts.SyntaxKind.BarBarToken, '&&'],
]);
/** A decimal integer as written: no hex, exponent, separator, fraction or legacy octal. */
const PLAIN_INTEGER = /^(?:0|[1-9]\d*)$/;
const SNIPPET_MAX = 60;

export function isFunctionWithBody(node: ts.Node): node is FunctionWithBody {
  return (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)
    || ts.isConstructorDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) && node.body !== undefined;
}

/** The function whose body holds `node` (at any depth), or undefined when it is not in a body: top level, a parameter list, a class field. */
function bodyOwner(node: ts.Node): FunctionWithBody | undefined {
  let child = node;
  for (let parent = node.parent as ts.Node | undefined; parent !== undefined; child = parent, parent = parent.parent as ts.Node | undefined) {
    if (isFunctionWithBody(parent) && parent.body === child) return parent;
  }
  return undefined;
}

function nameText(name: ts.Node): string {
  return ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : name.getText();
}

/** The name a function is declared with or assigned to, if any. */
function ownName(fn: FunctionWithBody): string | undefined {
  if (ts.isConstructorDeclaration(fn)) return 'constructor';
  if (fn.name !== undefined) return nameText(fn.name);
  let holder: ts.Node = fn.parent;
  while (ts.isParenthesizedExpression(holder) || ts.isAsExpression(holder) || ts.isSatisfiesExpression(holder)) holder = holder.parent;
  if ((ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isPropertyDeclaration(holder)) && !ts.isArrayBindingPattern(holder.name) && !ts.isObjectBindingPattern(holder.name)) {
    return nameText(holder.name);
  }
  if (ts.isBinaryExpression(holder) && holder.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
    return dotted(holder.left) ?? (ts.isPropertyAccessExpression(holder.left) ? nameText(holder.left.name) : undefined);
  }
  return undefined;
}

/** `a`, `this.a`, `module.exports`, `Foo.prototype.bar` as written; undefined for other expressions. */
function dotted(expression: ts.Expression): string | undefined {
  if (ts.isIdentifier(expression)) return expression.text;
  if (expression.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  if (!ts.isPropertyAccessExpression(expression)) return undefined;
  const object = dotted(expression.expression);
  return object === undefined ? undefined : `${object}.${nameText(expression.name)}`;
}

/** The name of `fn`, or of the nearest named function around it: an anonymous callback is reported by the function it is in. */
export function functionNameOf(fn: FunctionWithBody): string | undefined {
  for (let node: ts.Node | undefined = fn; node !== undefined; node = node.parent as ts.Node | undefined) {
    if (isFunctionWithBody(node)) {
      const name = ownName(node);
      if (name !== undefined) return name;
    }
  }
  return undefined;
}

/** `s` on one line; when long, cut to a window that starts a little before `at`, so the change stays in view. */
function snippet(s: string, at = 0): string {
  const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
  if (flat(s).length <= SNIPPET_MAX) return flat(s);
  const from = Math.max(0, at - 25);
  const to = Math.min(s.length, from + SNIPPET_MAX);
  return `${from > 0 ? '…' : ''}${flat(s.slice(from, to))}${to < s.length ? '…' : ''}`;
}

/** "`before` → `after`" for `node` with `edit` (inside it) applied. */
function replaced(node: ts.Node, edit: Edit): string {
  const text = node.getSourceFile().text;
  const start = node.getStart();
  const before = text.slice(start, node.end);
  const at = edit.start - start;
  const after = before.slice(0, at) + edit.text + before.slice(edit.end - start);
  return `\`${snippet(before, at)}\` → \`${snippet(after, at)}\``;
}

/**
 * Removing a statement: its whole line(s) when nothing else is on them, so
 * no blank indented line is left; otherwise just its span. Undefined when
 * the removal would join its neighbours by ASI: in `a = b\nx = 1;\n(f)()`
 * dropping the middle makes `a = b(f)()`, which parses, so the parse check
 * would not catch it.
 */
function removal(node: ts.Statement): Edit | undefined {
  const siblings = (node.parent as ts.Block | ts.CaseOrDefaultClause).statements;
  const index = siblings.indexOf(node);
  const previous = siblings[index - 1];
  const next = siblings[index + 1];
  if (previous !== undefined && next !== undefined && !previous.getText().endsWith(';') && /^[([`+\-/]/.test(next.getText())) return undefined;
  const text = node.getSourceFile().text;
  const start = node.getStart();
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const newline = text.indexOf('\n', node.end);
  const lineEnd = newline < 0 ? text.length : newline + 1;
  if (text.slice(lineStart, start).trim() === '' && text.slice(node.end, lineEnd).trim() === '') return { start: lineStart, end: lineEnd, text: '' };
  return { start, end: node.end, text: '' };
}

function span(node: ts.Node, text: string): Edit {
  return { start: node.getStart(), end: node.end, text };
}

/** Whether `node` is a statement of a statement list, where removing it leaves the list valid. */
function inStatementList(node: ts.Node): boolean {
  return ts.isBlock(node.parent) || ts.isCaseClause(node.parent) || ts.isDefaultClause(node.parent);
}

/** The first ancestor of `node` that is not a parenthesis around it. */
function outsideParentheses(node: ts.Node): ts.Node {
  let up = node.parent;
  while (ts.isParenthesizedExpression(up)) up = up.parent;
  return up;
}

function isComparison(node: ts.Node): node is ts.BinaryExpression {
  return ts.isBinaryExpression(node) && COMPARISON_FLIP.has(node.operatorToken.kind);
}

/**
 * An index or a bound: an element access's index, an operand of `<`, `<=`,
 * `>`, `>=`, or of an equality with a `.length` or `.size` (`xs.length === 0`).
 * Other equalities compare with codes, not counts: `status !== 403` → 402
 * would be a different constant, not an off-by-one.
 */
function isIndexOrBound(node: ts.Node, parent: ts.Node): boolean {
  if (ts.isElementAccessExpression(parent)) return parent.argumentExpression === node;
  if (!isComparison(parent)) return false;
  if (BOUND_SHIFT.has(parent.operatorToken.kind)) return true;
  const other = parent.left === node ? parent.right : parent.left;
  return ts.isPropertyAccessExpression(other) && (other.name.text === 'length' || other.name.text === 'size');
}

/**
 * Where an integer literal counts as an index or a bound for off_by_one:
 * one itself (`i < 10`, `a[0]`, `xs.length === 1`), the right of a `+`/`-`
 * that is one (`i < n - 1`, `a[i + 1]`), or a `for` loop's start
 * (`for (let i = 0; …)`).
 */
function isBoundLiteral(literal: ts.NumericLiteral): boolean {
  const parent = literal.parent;
  if (isIndexOrBound(literal, parent)) return true;
  if (ts.isBinaryExpression(parent) && parent.right === literal
    && (parent.operatorToken.kind === ts.SyntaxKind.PlusToken || parent.operatorToken.kind === ts.SyntaxKind.MinusToken)) {
    let outer: ts.Node = parent;
    while (ts.isParenthesizedExpression(outer.parent)) outer = outer.parent;
    return isIndexOrBound(outer, outer.parent);
  }
  return ts.isVariableDeclaration(parent) && parent.initializer === literal
    && ts.isVariableDeclarationList(parent.parent) && ts.isForStatement(parent.parent.parent) && parent.parent.parent.initializer === parent.parent;
}

/** Where a boolean literal is a value the code hands on: argument, return value, assigned or initial value. */
function isHandedOnBoolean(literal: ts.Node): boolean {
  const parent = literal.parent;
  if ((ts.isCallExpression(parent) || ts.isNewExpression(parent)) && parent.arguments?.some((a) => a === literal) === true) return true;
  if (ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === literal)) return true;
  if (ts.isBinaryExpression(parent)) return parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === literal;
  return ts.isVariableDeclaration(parent) && parent.initializer === literal;
}

/** The then-branch ends the function or throws: a guard clause. */
function isGuard(statement: ts.IfStatement): boolean {
  const then = statement.thenStatement;
  const last = ts.isBlock(then) ? then.statements[then.statements.length - 1] : then;
  return last !== undefined && (ts.isReturnStatement(last) || ts.isThrowStatement(last));
}

function isAssignment(expression: ts.Expression): expression is ts.BinaryExpression {
  return ts.isBinaryExpression(expression)
    && expression.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && expression.operatorToken.kind <= ts.SyntaxKind.LastAssignment;
}

/** The changed default of a parameter: N → N + 1, boolean flipped, string emptied (or 'x' when empty). */
function changedDefault(value: ts.Expression): string | undefined {
  const written = value.getText();
  if (ts.isNumericLiteral(value) && PLAIN_INTEGER.test(written) && Number.isSafeInteger(Number(written) + 1)) return String(Number(written) + 1);
  if (ts.isPrefixUnaryExpression(value) && value.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(value.operand)
    && PLAIN_INTEGER.test(value.operand.getText()) && Number.isSafeInteger(Number(value.operand.getText()))) {
    return String(1 - Number(value.operand.getText()));
  }
  if (value.kind === ts.SyntaxKind.TrueKeyword) return 'false';
  if (value.kind === ts.SyntaxKind.FalseKeyword) return 'true';
  if (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value)) {
    const quote = written[0] ?? "'";
    return value.text === '' ? `${quote}x${quote}` : `${quote}${quote}`;
  }
  return undefined;
}

/** The candidates `node` itself gives (not its children). */
function candidatesAt(node: ts.Node, out: Candidate[]): void {
  const add = (kind: BugKind, anchor: ts.Node, fn: FunctionWithBody, summary: string, edits: Edit[]) => {
    out.push({ kind, anchor: anchor.getStart(), fn, summary, edits });
  };
  if (isFunctionWithBody(node)) {
    for (const parameter of node.parameters) {
      const value = parameter.initializer;
      const text = value === undefined ? undefined : changedDefault(value);
      if (value !== undefined && text !== undefined) {
        add('change_default', value, node, `default ${replaced(parameter, span(value, text))}`, [span(value, text)]);
      }
    }
  }
  const fn = bodyOwner(node);
  if (fn === undefined) return;
  if (ts.isBinaryExpression(node)) {
    const op = node.operatorToken;
    // The operator token alone changes, as a typo would: in `a || b || c`
    // (that is `(a || b) || c`) flipping the second gives `a || b && c`,
    // which reads `a || (b && c)`. The description shows that text.
    const flipped = COMPARISON_FLIP.get(op.kind) ?? LOGICAL_FLIP.get(op.kind);
    if (flipped !== undefined) add(COMPARISON_FLIP.has(op.kind) ? 'flip_comparison' : 'flip_boolean_operator', op, fn, replaced(node, span(op, flipped)), [span(op, flipped)]);
    const shifted = BOUND_SHIFT.get(op.kind);
    const loop = outsideParentheses(node);
    if (shifted !== undefined && ts.isForStatement(loop) && loop.condition !== undefined && loop.condition.pos <= node.pos && node.end <= loop.condition.end) {
      add('off_by_one', op, fn, `loop bound ${replaced(node, span(op, shifted))}`, [span(op, shifted)]);
    }
  } else if (ts.isNumericLiteral(node) && PLAIN_INTEGER.test(node.getText()) && isBoundLiteral(node)) {
    const value = Number(node.getText());
    if (Number.isSafeInteger(value)) {
      const edit = span(node, String(value === 0 ? 1 : value - 1));
      add('off_by_one', node, fn, replaced(node.parent, edit), [edit]);
    }
  } else if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
    if (isHandedOnBoolean(node)) {
      const edit = span(node, node.kind === ts.SyntaxKind.TrueKeyword ? 'false' : 'true');
      add('flip_boolean_literal', node, fn, replaced(node.parent, edit), [edit]);
    }
  } else if (ts.isIfStatement(node)) {
    const condition = `if (${snippet(node.expression.getText())})`;
    const otherwise = node.elseStatement;
    if (otherwise !== undefined && !ts.isIfStatement(otherwise)) {
      const then = node.thenStatement;
      add('swap_if_else', node, fn, `swapped the branches of \`${condition}\``, [span(then, otherwise.getText()), span(otherwise, then.getText())]);
    } else if (otherwise === undefined && inStatementList(node) && isGuard(node)) {
      const edit = removal(node);
      if (edit !== undefined) add('remove_guard', node, fn, `removed the guard \`${snippet(node.getText())}\``, [edit]);
    }
  } else if (ts.isExpressionStatement(node) && inStatementList(node) && isAssignment(node.expression)) {
    const edit = removal(node);
    if (edit !== undefined) add('remove_assignment', node, fn, `removed \`${snippet(node.getText())}\``, [edit]);
  }
}

/** Every candidate of a parsed file, in walk order (mutate-js.ts sorts them). */
export function candidatesOf(sourceFile: ts.SourceFile): Candidate[] {
  const out: Candidate[] = [];
  const visit = (node: ts.Node): void => {
    candidatesAt(node, out);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return out;
}
