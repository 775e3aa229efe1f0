import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BUG_KINDS, isMutableSource, MAX_MUTATIONS_PER_FILE, mutationsOf, type BugKind, type Mutation } from '../../src/dataset/mutate-js.ts';

/**
 * Syntax errors of `text` as `file`, checked another way than the module
 * does (transpileModule's diagnostics), so a shared mistake cannot hide.
 */
function syntaxErrors(file: string, text: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(text, {
    fileName: path.basename(file).replace(/\.[cm]([jt]s)$/, '.$1'),
    reportDiagnostics: true,
    compilerOptions: { allowJs: true, jsx: ts.JsxEmit.Preserve },
  });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

function ofKind(kind: BugKind, file: string, text: string): Mutation[] {
  return mutationsOf(file, text).filter((m) => m.kind === kind);
}

/** The one mutation of `kind`, checked to parse. */
function one(kind: BugKind, file: string, text: string): Mutation {
  const found = ofKind(kind, file, text);
  expect(found, found.map((m) => m.description).join('\n')).toHaveLength(1);
  const mutation = found[0] as Mutation;
  expect(syntaxErrors(file, mutation.after)).toEqual([]);
  return mutation;
}

describe('mutationsOf: each kind', () => {
  it('flip_comparison: every operator to its opposite, only the operator', () => {
    const pairs = [['<', '>='], ['>=', '<'], ['>', '<='], ['<=', '>'], ['===', '!=='], ['!==', '==='], ['==', '!='], ['!=', '==']];
    for (const [op, flipped] of pairs) {
      const text = `function f(a, b) {\n  return a ${op} b;\n}\n`;
      const m = one('flip_comparison', 'a.js', text);
      expect(m.after).toBe(`function f(a, b) {\n  return a ${flipped} b;\n}\n`);
      expect(m).toMatchObject({ file: 'a.js', line: 2, functionName: 'f', description: `\`a ${op} b\` → \`a ${flipped} b\` in f()` });
    }
    const typed = 'export function under<T>(items: readonly T[], max: number): boolean {\n  return items.length < max;\n}\n';
    expect(one('flip_comparison', 'src/a.ts', typed).after).toBe(typed.replace('length < max', 'length >= max'));
  });

  it('flip_boolean_operator: && ↔ ||', () => {
    const text = 'const ok = (a, b) => a && b;\nconst any = (a, b) => a || b;\n';
    const [and, or] = ofKind('flip_boolean_operator', 'a.mjs', text);
    expect(and?.after).toBe('const ok = (a, b) => a || b;\nconst any = (a, b) => a || b;\n');
    expect(or?.after).toBe('const ok = (a, b) => a && b;\nconst any = (a, b) => a && b;\n');
    expect([and?.functionName, or?.functionName]).toEqual(['ok', 'any']);
    // Only the token changes: in `a || b || c` the second flip reads `a || (b && c)`.
    expect(ofKind('flip_boolean_operator', 'a.js', 'function f(a, b, c) {\n  return a || b || c;\n}\n').map((m) => m.description)).toEqual([
      '`a || b` → `a && b` in f()',
      '`a || b || c` → `a || b && c` in f()',
    ]);
    const tsx = 'export const Badge = ({ on, label }: { on: boolean; label?: string }) => <b>{on && label}</b>;\n';
    expect(one('flip_boolean_operator', 'badge.tsx', tsx).after).toBe(tsx.replace('on && label', 'on || label'));
  });

  it('off_by_one: integer bounds and indices (0 → 1, N → N - 1), a for loop\'s start, and a loop condition\'s < ↔ <=', () => {
    const text = [
      'function last(xs) {',
      '  for (let i = 0; i < xs.length - 1; i++) {',
      '    if (xs[i] > 10) return xs[0];',
      '  }',
      '}',
      '',
    ].join('\n');
    const found = ofKind('off_by_one', 'a.js', text);
    expect(found.map((m) => [m.line, m.description])).toEqual([
      [2, '`i = 0` → `i = 1` in last()'],
      [2, 'loop bound `i < xs.length - 1` → `i <= xs.length - 1` in last()'],
      [2, '`xs.length - 1` → `xs.length - 0` in last()'],
      [3, '`xs[i] > 10` → `xs[i] > 9` in last()'],
      [3, '`xs[0]` → `xs[1]` in last()'],
    ]);
    for (const m of found) expect(syntaxErrors('a.js', m.after)).toEqual([]);
    expect(found[1]?.after).toBe(text.replace('i < xs', 'i <= xs'));
    // Not a bound: a plain operand, a float, hex, a negative number, an equality with a code.
    expect(ofKind('off_by_one', 'a.ts', 'function f(x: number) {\n  return x * 2 + (x > 0.5 ? 0x10 : -1) + (x > -1 ? 1 : 0) + (x === 403 ? 1 : 0);\n}\n')).toEqual([]);
    // An equality with a length or size is a count.
    expect(one('off_by_one', 'a.ts', 'const empty = (xs: unknown[]) => xs.length === 0;\n').description).toBe('`xs.length === 0` → `xs.length === 1` in empty()');
  });

  it('swap_if_else: the branches trade places, text and all; not an else-if', () => {
    const text = 'class Gate {\n  open(ok: boolean): string {\n    if (ok) {\n      return "yes";\n    } else {\n      return "no";\n    }\n  }\n}\n';
    const m = one('swap_if_else', 'gate.ts', text);
    expect(m.after).toBe('class Gate {\n  open(ok: boolean): string {\n    if (ok) {\n      return "no";\n    } else {\n      return "yes";\n    }\n  }\n}\n');
    expect(m).toMatchObject({ line: 3, functionName: 'open', description: 'swapped the branches of `if (ok)` in open()' });
    const chained = 'function f(a, b) {\n  if (a) x(); else if (b) y(); else z();\n}\n';
    expect(one('swap_if_else', 'a.js', chained).after).toBe('function f(a, b) {\n  if (a) x(); else if (b) z(); else y();\n}\n');
  });

  it('remove_guard: an if without else whose branch returns or throws, removed with its line', () => {
    const text = 'function parse(s) {\n  if (!s) return null;\n  if (s.length > 9) {\n    throw new Error("long");\n  }\n  if (s) log(s);\n  return s;\n}\n';
    const found = ofKind('remove_guard', 'a.cjs', text);
    expect(found.map((m) => m.line)).toEqual([2, 3]);
    expect(found[0]?.after).toBe(text.replace('  if (!s) return null;\n', ''));
    expect(found[1]?.after).toBe(text.replace('  if (s.length > 9) {\n    throw new Error("long");\n  }\n', ''));
    expect(found[0]?.description).toBe('removed the guard `if (!s) return null;` in parse()');
    // A long one is described by its start.
    const long = `function g(v) {\n  if (v === undefined) {\n    ${'log(v);\n    '.repeat(20)}return;\n  }\n}\n`;
    expect(one('remove_guard', 'a.js', long).description).toBe('removed the guard `if (v === undefined) { log(v); log(v); log(v);…` in g()');
    // A guard sharing its line with other code: only its own text goes.
    expect(one('remove_guard', 'a.js', 'function f(a) { if (a) return 1; return 2; }\n').after).toBe('function f(a) {  return 2; }\n');
  });

  it('remove_assignment: assignments and compound assignments, not declarations', () => {
    const text = 'class Counter {\n  private n: number;\n  constructor(start: number) {\n    this.n = start;\n  }\n  add(k: number): void {\n    const before = this.n;\n    this.n += k;\n  }\n}\n';
    const found = ofKind('remove_assignment', 'counter.ts', text);
    expect(found.map((m) => [m.line, m.functionName, m.description])).toEqual([
      [4, 'constructor', 'removed `this.n = start;` in constructor()'],
      [8, 'add', 'removed `this.n += k;` in add()'],
    ]);
    expect(found[0]?.after).toBe(text.replace('    this.n = start;\n', ''));
    for (const m of found) expect(syntaxErrors('counter.ts', m.after)).toEqual([]);
  });

  it('remove_assignment: not when the removal would join its neighbours by ASI', () => {
    const text = 'function f(b, g) {\n  let a = b\n  a = 1;\n  (g)()\n}\n';
    expect(ofKind('remove_assignment', 'a.js', text)).toEqual([]);
  });

  it('change_default: N → N + 1, -N → -N + 1, booleans flipped, strings emptied or filled', () => {
    const text = 'export function f(a = 1, b = -1, c = true, d = "on", e = \'\', g = `t`, h = {}) {\n  return [a, b, c, d, e, g, h];\n}\n';
    const found = ofKind('change_default', 'a.js', text);
    expect(found.map((m) => m.description)).toEqual([
      'default `a = 1` → `a = 2` in f()',
      'default `b = -1` → `b = 0` in f()',
      'default `c = true` → `c = false` in f()',
      'default `d = "on"` → `d = ""` in f()',
      'default `e = \'\'` → `e = \'x\'` in f()',
      'default `g = `t`` → `g = ``` in f()',
    ]);
    expect(found[1]?.after).toBe(text.replace('b = -1', 'b = 0'));
    const typed = 'const f = (limit: number = 10): number => limit;\n';
    expect(one('change_default', 'a.ts', typed).after).toBe('const f = (limit: number = 11): number => limit;\n');
  });

  it('flip_boolean_literal: as an argument, return value, arrow body, assigned or initial value; not elsewhere', () => {
    const text = [
      'function f(el) {',
      '  let done = false;',
      '  el.toggle(true);',
      '  done = true;',
      '  const cfg = { on: true };',
      '  if (done === true) return cfg;',
      '  return false;',
      '}',
      'const yes = () => true;',
      '',
    ].join('\n');
    const found = ofKind('flip_boolean_literal', 'a.jsx', text);
    expect(found.map((m) => [m.line, m.description])).toEqual([
      [2, '`done = false` → `done = true` in f()'],
      [3, '`el.toggle(true)` → `el.toggle(false)` in f()'],
      [4, '`done = true` → `done = false` in f()'],
      [7, '`return false;` → `return true;` in f()'],
      [9, '`() => true` → `() => false` in yes()'],
    ]);
    expect(found[3]?.after).toBe(text.replace('return false;', 'return true;'));
  });
});

describe('mutationsOf: where and how', () => {
  it('changes nothing outside function bodies', () => {
    const text = [
      'const LIMIT = a < b;',
      'let flag = true;',
      'if (a) { x = 1; } else { x = 2; }',
      'if (!a) throw new Error("no");',
      'items[0] = n - 1 > 0 && ready;',
      'class K { size = a > 1; }',
      '',
    ].join('\n');
    expect(mutationsOf('top.ts', text)).toEqual([]);
    // The same code inside a function gives candidates, and the top level is kept.
    const inside = `${text}function g(a, b) {\n  return a < b;\n}\n`;
    expect(mutationsOf('top.ts', inside).map((m) => [m.kind, m.line, m.after.startsWith(text)])).toEqual([['flip_comparison', 8, true]]);
  });

  it('names the function: declarations, methods, accessors, assigned arrows and functions; callbacks by the function around them', () => {
    const text = [
      'module.exports = function (v) { return v > 0; };',
      'exports.small = (v) => v < 9;',
      'const o = { get big() { return this.v >= 9; }, [key](v) { return v == 1; } };',
      'function outer(xs) { return xs.filter((x) => x !== null); }',
      '[1].map(function (x) { return x === 1; });',
      '',
    ].join('\n');
    expect(ofKind('flip_comparison', 'a.js', text).map((m) => m.functionName)).toEqual(['module.exports', 'exports.small', 'big', '[key]', 'outer', undefined]);
    expect(ofKind('flip_comparison', 'a.js', text)[5]?.description).toBe('`x === 1` → `x !== 1` in an anonymous function');
  });

  it('lists candidates in source order, the same every time, each parsing and different from the input', () => {
    const text = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'src', 'dataset', 'mutate-js-kinds.ts'), 'utf8');
    const first = mutationsOf('src/dataset/mutate-js-kinds.ts', text);
    expect(first.length).toBeGreaterThan(20);
    expect(mutationsOf('src/dataset/mutate-js-kinds.ts', text)).toEqual(first);
    expect(new Set(first.map((m) => m.kind)).size).toBeGreaterThan(4);
    const lines = first.map((m) => m.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    for (const m of first) {
      expect(m.after).not.toBe(text);
      expect(syntaxErrors(m.file, m.after)).toEqual([]);
    }
  });

  it('orders by position, then by BUG_KINDS at one position', () => {
    const found = mutationsOf('a.js', 'function f(n) {\n  for (let i = 0; i < n; i++) g(i);\n}\n');
    expect(found.map((m) => [m.kind, m.description])).toEqual([
      ['off_by_one', '`i = 0` → `i = 1` in f()'],
      ['flip_comparison', '`i < n` → `i >= n` in f()'],
      ['off_by_one', 'loop bound `i < n` → `i <= n` in f()'],
    ]);
    expect(BUG_KINDS.indexOf('flip_comparison')).toBeLessThan(BUG_KINDS.indexOf('off_by_one'));
  });

  it('reads JSX in .js files and TSX, and keeps the CRLF line ends of a file', () => {
    const jsx = 'export function Item({ n }) {\r\n  if (n < 1) return null;\r\n  return <li>{n}</li>;\r\n}\r\n';
    expect(mutationsOf('item.js', jsx).map((m) => m.kind)).toEqual(['remove_guard', 'flip_comparison', 'off_by_one']);
    expect(one('remove_guard', 'item.js', jsx).after).toBe('export function Item({ n }) {\r\n  return <li>{n}</li>;\r\n}\r\n');
    expect(one('flip_comparison', 'item.tsx', jsx.replace('{ n }', '{ n }: { n: number }')).line).toBe(2);
  });

  it('gives nothing for a generated file, a file that does not parse, a declaration file or another language', () => {
    const body = 'function f(a) {\n  return a < 1;\n}\n';
    expect(mutationsOf('a.js', body)).toHaveLength(2);
    expect(mutationsOf('a.js', `// @generated by protoc\n${body}`)).toEqual([]);
    expect(mutationsOf('a.ts', `/* eslint-disable */\n// Code generated by sqlc. DO NOT EDIT.\n${body}`)).toEqual([]);
    expect(mutationsOf('a.js', `${body}function (\n`)).toEqual([]);
    expect(mutationsOf('a.js', 'function f(a: number) {\n  return a < 1;\n}\n')).toEqual([]); // types in a .js file (Flow)
    expect(mutationsOf('a.d.ts', body)).toEqual([]);
    expect(mutationsOf('a.py', body)).toEqual([]);
  });

  it(`keeps at most ${MAX_MUTATIONS_PER_FILE} per file, spread over the whole file`, () => {
    const text = Array.from({ length: 300 }, (_, i) => `function f${i}(a) {\n  return a < b;\n}\n`).join('');
    const found = mutationsOf('many.js', text);
    expect(found).toHaveLength(MAX_MUTATIONS_PER_FILE);
    expect(found[0]?.functionName).toBe('f0');
    expect(found.at(-1)?.functionName).toBe('f298');
  });
});

describe('mutationsOf on published code', () => {
  // Small CommonJS packages this project installs; whichever are there.
  const files = ['ms/index.js', 'bytes/index.js', 'escape-html/index.js', 'depd/index.js', 'semver/classes/range.js']
    .map((file) => path.join(import.meta.dirname, '..', '..', 'node_modules', file))
    .filter((file) => fs.existsSync(file));

  it('finds candidates that all parse and all differ from the file', () => {
    expect(files.length).toBeGreaterThan(0);
    let total = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const found = mutationsOf(file, text);
      total += found.length;
      for (const m of found) {
        expect(m.after, m.description).not.toBe(text);
        expect(syntaxErrors(file, m.after), `${file}:${m.line} ${m.description}`).toEqual([]);
        expect(m.line).toBeGreaterThan(0);
        expect(m.line).toBeLessThanOrEqual(text.split('\n').length);
      }
    }
    expect(total).toBeGreaterThan(20);
  });
});

describe('isMutableSource', () => {
  it.each([
    'index.js', 'src/a.ts', 'lib/b.mjs', 'lib/c.cjs', 'src/d.mts', 'src/e.cts', 'src/view.jsx', 'src/view.tsx', './src/a.ts', 'src\\win.ts',
    'src/contest.js', 'src/latest.ts', 'src/testing-utils.ts',
  ])('%s is', (file) => {
    expect(isMutableSource(file)).toBe(true);
  });

  it.each([
    'src/a.d.ts', 'types/b.d.mts', 'README.md', 'src/a.json', 'src/a.py',
    'node_modules/x/index.js', 'dist/index.js', 'packages/p/build/a.js', 'coverage/lcov.js', 'vendor/jq.js',
    'test/a.js', 'tests/b.ts', 'src/__tests__/c.ts', 'spec/d.js', 'src/__mocks__/fs.ts', 'test\\win.ts',
    'src/a.test.ts', 'src/a.spec.tsx', 'src/a_test.js', 'test.js', 'vitest.config.ts', 'jest.config.cjs',
    'lib/jquery.min.js', '.eslintrc.js', '.github/scripts/release.js',
  ])('%s is not', (file) => {
    expect(isMutableSource(file)).toBe(false);
  });
});
