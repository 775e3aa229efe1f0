/**
 * mutate-py.ts with the host's python3 standing in for the container's: the
 * exec runs the command locally, with /testbed mapped to a temporary folder.
 * Every result is checked to parse by a separate `ast.parse`, so a mistake
 * shared by the script and its check cannot hide.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_MUTATIONS_PER_FILE, type BugKind, type Mutation } from '../../src/dataset/mutate-js.ts';
import { MUTATE_PY_SCRIPT } from '../../src/dataset/mutate-py-script.ts';
import { isMutablePythonSource, pythonMutations, splitLines, type PythonExec } from '../../src/dataset/mutate-py.ts';

const python = spawnSync('python3', ['-c', 'import sys; print(sys.version_info >= (3, 8))'], { encoding: 'utf8' });
const hasPython = python.status === 0 && python.stdout.trim() === 'True';
/** Said in the titles: these tests need the host's python3 in place of the container's. */
const NEEDS_PYTHON = hasPython ? '' : ' (skipped: no python3 3.8+ on this host)';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** An exec that runs the command on the host, in `dir` where the container would have /testbed. */
function localExec(dir: string): PythonExec {
  return (command, options) =>
    new Promise((resolve) => {
      execFile('bash', ['-c', command.replaceAll('/testbed', dir)], { timeout: options.timeoutMs, maxBuffer: options.maxOutputBytes, encoding: 'utf8' }, (error, stdout, stderr) => {
        resolve({ exitCode: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });
}

/** The mutations of files written into a fresh folder, asked for in the order given. */
async function mutate(files: Record<string, string | Buffer>): Promise<Mutation[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swe-bot-mutate-py-'));
  dirs.push(dir);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return pythonMutations(localExec(dir), Object.keys(files));
}

async function ofKind(kind: BugKind, text: string): Promise<Mutation[]> {
  return (await mutate({ 'pkg/a.py': text })).filter((m) => m.kind === kind);
}

/** For each text, why Python cannot parse it ('' when it can), as UTF-8 bytes, the way the file is written. */
function parseErrors(texts: string[]): string[] {
  const check = 'import ast, json, sys\nfor t in json.load(sys.stdin):\n    try:\n        ast.parse(t.encode("utf-8")); print("")\n    except SyntaxError as e:\n        print(repr(e))\n';
  const result = spawnSync('python3', ['-c', check], { input: JSON.stringify(texts), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').slice(0, texts.length);
}

function expectParses(found: readonly Mutation[]): void {
  expect(parseErrors(found.map((m) => m.after))).toEqual(found.map(() => ''));
}

describe.skipIf(!hasPython)(`pythonMutations: each kind${NEEDS_PYTHON}`, () => {
  it('flip_comparison: every operator to its opposite, only the operator', async () => {
    const pairs = [['<', '>='], ['>=', '<'], ['>', '<='], ['<=', '>'], ['==', '!='], ['!=', '=='], ['is', 'is not'], ['is not', 'is'], ['in', 'not in'], ['not in', 'in']];
    const text = pairs.map(([op], i) => `def f${i}(a, b):\n    return a ${op} b\n`).join('\n');
    const found = await ofKind('flip_comparison', text);
    expect(found.map((m) => m.after)).toEqual(pairs.map(([op, flipped], i) => text.replace(`f${i}(a, b):\n    return a ${op} b`, `f${i}(a, b):\n    return a ${flipped} b`)));
    expect(found[0]).toMatchObject({ file: 'pkg/a.py', line: 2, functionName: 'f0', description: '`a < b` → `a >= b` in f0()' });
    expect(found[7]?.description).toBe('`a is not b` → `a is b` in f7()');
    // Past parentheses and a comment between the operands; a chain flips one operator at a time.
    const odd = 'def g(a, b, c):\n    return ((a)  # low\n            <= (b)) and a < b < c\n';
    expect((await ofKind('flip_comparison', odd)).map((m) => m.after)).toEqual([
      odd.replace('<= (b)', '> (b)'),
      odd.replace('a < b < c', 'a >= b < c'),
      odd.replace('a < b < c', 'a < b >= c'),
    ]);
  });

  it('flip_boolean_operator: and ↔ or, one operator of a chain at a time', async () => {
    const found = await ofKind('flip_boolean_operator', 'def f(a, b, c):\n    return a or b or c\n');
    expect(found.map((m) => m.after)).toEqual(['def f(a, b, c):\n    return a and b or c\n', 'def f(a, b, c):\n    return a or b and c\n']);
    expect(found[0]?.description).toBe('`a or b or c` → `a and b or c` in f()');
  });

  it('off_by_one: indices, slice bounds, range(), comparisons and len() equalities, a while condition\'s < ↔ <=', async () => {
    const text = [
      'def last(xs):',
      '    i = 0',
      '    while i < len(xs) - 1:',
      '        i += 1',
      '    if len(xs) == 0 or xs[-1] > 10:',
      '        return xs[0], xs[1:-1]',
      '    return [x for x in range(2, 5)]',
      '',
    ].join('\n');
    const found = await ofKind('off_by_one', text);
    expect(found.map((m) => [m.line, m.description])).toEqual([
      [3, 'loop bound `i < len(xs) - 1` → `i <= len(xs) - 1` in last()'],
      [3, '`len(xs) - 1` → `len(xs) - 0` in last()'],
      [5, '`len(xs) == 0` → `len(xs) == 1` in last()'],
      [5, '`xs[-1]` → `xs[-2]` in last()'],
      [5, '`xs[-1] > 10` → `xs[-1] > 9` in last()'],
      [6, '`xs[0]` → `xs[1]` in last()'],
      [6, '`xs[1:-1]` → `xs[0:-1]` in last()'],
      [6, '`xs[1:-1]` → `xs[1:-2]` in last()'],
      [7, '`range(2, 5)` → `range(1, 5)` in last()'],
      [7, '`range(2, 5)` → `range(2, 4)` in last()'],
    ]);
    expect(found[0]?.after).toBe(text.replace('i < len', 'i <= len'));
    expectParses(found);
    // Not a bound: a plain operand, a float, hex, an equality with a code, the step of a slice.
    expect(await ofKind('off_by_one', 'def f(x, xs):\n    return x * 2 + (x > 0.5) + (x > 0x10) + (x == 403) + xs[::2]\n')).toEqual([]);
  });

  it('swap_if_else: the blocks trade places, comments and all; not an elif; one-line branches too', async () => {
    const text = 'class Gate:\n    def open(self, ok):\n        if ok:\n            # yes\n            return "yes"\n        else:\n            log()\n            return "no"  # no\n';
    const [m, ...rest] = await ofKind('swap_if_else', text);
    expect(rest).toEqual([]);
    expect(m?.after).toBe('class Gate:\n    def open(self, ok):\n        if ok:\n            log()\n            return "no"  # no\n        else:\n            # yes\n            return "yes"\n');
    expect(m).toMatchObject({ line: 3, functionName: 'open', description: 'swapped the branches of `if ok` in open()' });
    const chained = 'def f(a, b):\n    if a:\n        x()\n    elif b:\n        y()\n    else:\n        z()\n';
    expect((await ofKind('swap_if_else', chained)).map((found) => found.after)).toEqual(['def f(a, b):\n    if a:\n        x()\n    elif b:\n        z()\n    else:\n        y()\n']);
    expect((await ofKind('swap_if_else', 'def f(a):\n    if a: return 1\n    else: return 2\n'))[0]?.after).toBe('def f(a):\n    if a: return 2\n    else: return 1\n');
    // Equal branches would make the same program.
    expect(await ofKind('swap_if_else', 'def f(a):\n    if a:\n        g()  # one\n    else:\n        g()  # two\n')).toEqual([]);
  });

  it('remove_guard: an if without else that returns or raises, removed with its lines; alone in a block it becomes pass', async () => {
    const text = 'def parse(s):\n    if not s: return None\n    if len(s) > 9:  # long\n        raise ValueError("long")\n    if s:\n        log(s)\n    return s\n';
    const found = await ofKind('remove_guard', text);
    expect(found.map((m) => [m.line, m.description])).toEqual([
      [2, 'removed the guard `if not s: return None` in parse()'],
      [3, 'removed the guard `if len(s) > 9: # long raise ValueError("long")` in parse()'],
    ]);
    expect(found[0]?.after).toBe(text.replace('    if not s: return None\n', ''));
    expect(found[1]?.after).toBe(text.replace('    if len(s) > 9:  # long\n        raise ValueError("long")\n', ''));
    const alone = 'def f(xs):\n    for x in xs:\n        if x:\n            return x\n';
    expect((await ofKind('remove_guard', alone))[0]?.after).toBe('def f(xs):\n    for x in xs:\n        pass\n');
    // An elif guard goes with its lines: the if before it then has no else.
    const chained = 'def f(a, b):\n    if a:\n        g()\n    elif b:\n        return 1\n    return 2\n';
    expect((await ofKind('remove_guard', chained)).map((m) => [m.description, m.after])).toEqual([
      ['removed the guard `elif b: return 1` in f()', 'def f(a, b):\n    if a:\n        g()\n    return 2\n'],
    ]);
  });

  it('remove_assignment: to attributes and items, augmented, and rebinding; not a name\'s first binding', async () => {
    const text = [
      'class Counter:',
      '    def __init__(self, start):',
      '        self.n = start',
      '    def add(self, k, seen):',
      '        before = self.n',
      '        self.n += k',
      '        seen[k] = True',
      '        k = before',
      '        return k',
      '',
    ].join('\n');
    const found = await ofKind('remove_assignment', text);
    expect(found.map((m) => [m.line, m.functionName, m.description])).toEqual([
      [3, '__init__', 'removed `self.n = start` in __init__()'],
      [6, 'add', 'removed `self.n += k` in add()'],
      [7, 'add', 'removed `seen[k] = True` in add()'],
      [8, 'add', 'removed `k = before` in add()'],
    ]);
    // The only statement of __init__ becomes pass; the others go with their line.
    expect(found[0]?.after).toBe(text.replace('        self.n = start\n', '        pass\n'));
    expect(found[1]?.after).toBe(text.replace('        self.n += k\n', ''));
    expectParses(found);
  });

  it('change_default: N → N + 1, -N → -N + 1, booleans flipped, strings emptied or filled, keyword-only and lambdas too', async () => {
    const text = 'def f(a=1, b=-1, c: bool = True, d="on", *, e=\'\', g=b"""t""", h=None, i=1.5):\n    return a\n\nsq = lambda x, n=2: x ** n\n';
    const found = await ofKind('change_default', text);
    expect(found.map((m) => m.description)).toEqual([
      'default `a=1` → `a=2` in f()',
      'default `b=-1` → `b=0` in f()',
      'default `c: bool = True` → `c: bool = False` in f()',
      'default `d="on"` → `d=""` in f()',
      'default `e=\'\'` → `e=\'x\'` in f()',
      'default `g=b"""t"""` → `g=b""""""` in f()',
      'default `n=2` → `n=3` in sq()',
    ]);
    expect(found[1]?.after).toBe(text.replace('b=-1', 'b=0'));
    expectParses(found);
  });

  it('flip_boolean_literal: as an argument, return value, lambda body or assigned value; not elsewhere', async () => {
    const text = [
      'def f(el):',
      '    done = False',
      '    el.toggle(True, force=False)',
      '    cfg = {"on": True}',
      '    if done == True:',
      '        return cfg',
      '    yes = lambda: True',
      '    return False',
      '',
    ].join('\n');
    const found = await ofKind('flip_boolean_literal', text);
    expect(found.map((m) => [m.line, m.description])).toEqual([
      [2, '`done = False` → `done = True` in f()'],
      [3, '`el.toggle(True, force=False)` → `el.toggle(False, force=False)` in f()'],
      [3, '`el.toggle(True, force=False)` → `el.toggle(True, force=True)` in f()'],
      [7, '`lambda: True` → `lambda: False` in yes()'],
      [8, '`return False` → `return True` in f()'],
    ]);
    expect(found[4]?.after).toBe(text.replace('return False', 'return True'));
  });
});

describe.skipIf(!hasPython)(`pythonMutations: where and how${NEEDS_PYTHON}`, () => {
  it('changes nothing at module or class level, nor in decorators; nested functions and comprehensions are in their function', async () => {
    const top = 'LIMIT = 1 < 2\nflag = True\nif LIMIT:\n    x = 1\nelse:\n    x = 2\n\n\nclass K:\n    size = 1 > 0\n\n    @cache(True)\n    def get(self):\n        def inner(v):\n            return [y for y in v if y > 0]\n        return inner\n';
    const found = await mutate({ 'a.py': top });
    expect(found.map((m) => [m.kind, m.line, m.functionName])).toEqual([['flip_comparison', 15, 'inner'], ['off_by_one', 15, 'inner']]);
  });

  it('keeps comments, formatting and non-ASCII text elsewhere, CRLF line ends and a byte order mark', async () => {
    const text = '# -*- coding: utf-8 -*-\n"""Modulé — ünïcode 日本 🎉."""\n\n\ndef f(a,   b):  # spacing kept\n    s = "🎉é"; return a<b  # trailing\n';
    const [m] = await ofKind('flip_comparison', text);
    expect(m?.after).toBe(text.replace('a<b', 'a>=b'));
    expect(m?.line).toBe(6);
    const crlf = 'def f(a):\r\n    if a < 1:\r\n        return 0\r\n    return a\r\n';
    const withBom = `\uFEFF${crlf}`;
    const found = await mutate({ 'crlf.py': crlf, 'bom.py': withBom });
    expect(found.filter((x) => x.file === 'crlf.py').map((x) => x.kind)).toEqual(['remove_guard', 'flip_comparison', 'off_by_one']);
    expect(found.find((x) => x.file === 'crlf.py' && x.kind === 'remove_guard')?.after).toBe('def f(a):\r\n    return a\r\n');
    expect(found.find((x) => x.file === 'bom.py' && x.kind === 'flip_comparison')?.after).toBe(withBom.replace('a < 1', 'a >= 1'));
    expectParses(found);
  });

  it('gives nothing for a file that does not parse for this Python, is not UTF-8, is generated or is missing; the others go on', async () => {
    const body = 'def f(a):\n    return a < 1\n';
    const found = await mutate({
      'broken.py': `${body}def g(:\n`,
      'py2.py': `def h(a):\n    print "x"\n    return a < 1\n`,
      'latin.py': Buffer.concat([Buffer.from('# -*- coding: latin-1 -*-\ns = "'), Buffer.from([0xe9]), Buffer.from(`"\n${body}`)]),
      'generated.py': `# Code generated by protoc. DO NOT EDIT.\n${body}`,
      'nul.py': `${body}\0\n`,
      'ok.py': body,
    });
    expect(found.map((m) => m.file)).toEqual(['ok.py', 'ok.py']);
    await expect(pythonMutations(localExec(os.tmpdir()), ['no-such-file.py'])).resolves.toEqual([]);
  });

  it('is deterministic, file by file in the order given (across batches), each candidate parsing and differing from its file', async () => {
    const sample = MUTATE_PY_SCRIPT;
    const files: Record<string, string> = { 'script.py': sample };
    for (let i = 0; i < 25; i += 1) files[`m${String(i).padStart(2, '0')}.py`] = `def f${i}(a, b=${i}):\n    return a < b\n`;
    const first = await mutate(files);
    expect(await mutate(files)).toEqual(first);
    expect([...new Set(first.map((m) => m.file))]).toEqual(Object.keys(files));
    const own = first.filter((m) => m.file === 'script.py');
    expect(own.length).toBeGreaterThan(100);
    expect(new Set(own.map((m) => m.kind)).size).toBe(8);
    const lines = own.map((m) => m.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    expect(new Set(own.map((m) => m.after)).size).toBe(own.length);
    for (const m of own) {
      expect(m.after).not.toBe(sample);
      // Only the lines around the change differ: a line count of the diff far below the file's.
      const before = splitLines(sample);
      const after = splitLines(m.after);
      let head = 0;
      while (before[head] === after[head]) head += 1;
      let tail = 0;
      while (tail < before.length - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail += 1;
      expect(before.length - head - tail, m.description).toBeLessThan(30);
      if (m.kind !== 'swap_if_else') expect(m.line).toBeGreaterThanOrEqual(head + 1);
    }
    expectParses(first);
  });

  it(`keeps at most ${MAX_MUTATIONS_PER_FILE} per file, spread over the whole file`, async () => {
    const text = Array.from({ length: 300 }, (_, i) => `def f${i}(a, b):\n    return a < b\n`).join('');
    const found = await mutate({ 'many.py': text });
    expect(found).toHaveLength(MAX_MUTATIONS_PER_FILE);
    expect(found[0]?.line).toBe(2);
    expect(found.at(-1)?.line).toBeGreaterThan(580);
  });

  it('throws when the container has no usable Python, with what the command said', async () => {
    const noPython: PythonExec = () => Promise.resolve({ exitCode: 127, stdout: '', stderr: 'no python3 or python on PATH\n' });
    await expect(pythonMutations(noPython, ['a.py'])).rejects.toThrow(/exit 127\): no python3 or python on PATH/);
    await expect(pythonMutations(noPython, [])).resolves.toEqual([]);
  });
});

describe('splitLines', () => {
  it('splits where Python does: \\n, \\r\\n, \\r, keeping the ends; not at other breaks', () => {
    expect(splitLines('a\nb\r\nc\rd\u2028e\ff')).toEqual(['a\n', 'b\r\n', 'c\r', 'd\u2028e\ff']);
    expect(splitLines('a\n')).toEqual(['a\n']);
    expect(splitLines('')).toEqual([]);
  });
});

describe('isMutablePythonSource', () => {
  it('takes Python sources, not tests, docs, examples, build output, environments, hidden folders, packaging or migrations', () => {
    for (const file of ['calc.py', 'src/pkg/core.py', 'pkg/__init__.py', 'pkg/testament.py', 'pkg/contest.py']) expect(isMutablePythonSource(file), file).toBe(true);
    for (const file of [
      'test_calc.py', 'pkg/calc_test.py', 'conftest.py', 'pkg/tests.py', 'tests/helpers.py', 'pkg/test/util.py', 'docs/conf.py', 'examples/demo.py',
      'build/lib/pkg/core.py', 'dist/pkg.py', '.venv/lib/x.py', 'venv/lib/x.py', 'lib/python3.11/site-packages/six.py', '.github/scripts/x.py',
      'setup.py', 'app/migrations/0001_initial.py', 'pkg/core.pyi', 'pkg/core.pyc', 'calc.js', '.hidden.py',
    ]) expect(isMutablePythonSource(file), file).toBe(false);
  });
});
