import { describe, expect, it } from 'vitest';
import { createToolbox, cutMiddle, OBSERVATION_MAX_CHARS, validateArguments } from '../../../src/agent/tools/index.ts';
import { detectInteractive, splitCommands } from '../../../src/agent/tools/interactive.ts';
import { numbered, occurrences, splitLines } from '../../../src/agent/tools/str-replace-editor.ts';
import type { Tool, ToolContext, ToolExecResult, ToolTarget } from '../../../src/agent/tools/types.ts';
import type { ToolSpec } from '../../../src/agent/tool-spec.ts';

/** A target that records commands and runs none. */
function fakeTarget(): ToolTarget & { commands: string[] } {
  const commands: string[] = [];
  const result: ToolExecResult = { exitCode: 0, stdout: 'ok\n', stderr: '', timedOut: false, cancelled: false, truncated: false };
  return {
    commands,
    exec(command) {
      commands.push(command);
      return Promise.resolve(result);
    },
    readFile: () => Promise.reject(new Error('no files here')),
    writeFile: () => Promise.reject(new Error('no files here')),
  };
}

function call(name: string, args: Record<string, unknown>): { id: string; name: string; arguments: Record<string, unknown> } {
  return { id: 'call_0', name, arguments: args };
}

const SPEC: ToolSpec = {
  name: 'probe',
  description: 'test',
  parameters: {
    text: { type: 'string', description: '' },
    count: { type: 'integer', description: '' },
    flag: { type: 'boolean', description: '' },
    range: { type: 'array', items: { type: 'integer' }, description: '' },
    mode: { type: 'string', description: '', enum: ['a', 'b'] },
  },
  required: ['text'],
};

describe('argument validation', () => {
  it('coerces the strings of the text format', () => {
    expect(validateArguments(SPEC, { text: 'x', count: '12', flag: 'true', range: '[1, 20]', mode: ' b ' })).toEqual({
      args: { text: 'x', count: 12, flag: true, range: [1, 20], mode: 'b' },
    });
    expect(validateArguments(SPEC, { text: 'x', flag: 'False', range: '5, -1', count: ' -3 ' })).toEqual({
      args: { text: 'x', flag: false, range: [5, -1], count: -3 },
    });
    expect(validateArguments(SPEC, { text: 'x', range: ['1', 2] })).toEqual({ args: { text: 'x', range: [1, 2] } });
  });

  it('turns numbers and booleans given for text into text, and keeps empty text', () => {
    expect(validateArguments(SPEC, { text: 7 })).toEqual({ args: { text: '7' } });
    expect(validateArguments(SPEC, { text: '' })).toEqual({ args: { text: '' } });
  });

  it('treats an empty value of a non-text parameter as absent', () => {
    expect(validateArguments(SPEC, { text: 'x', count: '', range: '' })).toEqual({ args: { text: 'x' } });
  });

  it('rejects wrong types, unknown parameters, values outside the enum and missing required ones', () => {
    const errorOf = (args: Record<string, unknown>): string => {
      const result = validateArguments(SPEC, args);
      return 'error' in result ? result.error : '';
    };
    expect(errorOf({ text: 'x', count: '1.5' })).toMatch(/count.*whole number/);
    expect(errorOf({ text: 'x', flag: 'yes' })).toMatch(/flag.*true or false/);
    expect(errorOf({ text: 'x', range: '[1, a]' })).toMatch(/range.*list/);
    expect(errorOf({ text: 'x', range: '[1.5, 2]' })).toMatch(/whole numbers/);
    expect(errorOf({ text: 'x', mode: 'c' })).toMatch(/one of: a, b/);
    expect(errorOf({ text: 'x', colour: 'red' })).toMatch(/no parameter "colour".*text, count, flag, range, mode/);
    expect(errorOf({ count: 1 })).toMatch(/needs the parameter "text"/);
    expect(errorOf({ text: { nested: true } })).toMatch(/expected text/);
  });
});

describe('the toolbox', () => {
  const ctx = (): ToolContext & { target: ReturnType<typeof fakeTarget> } => ({ target: fakeTarget() });

  it('offers the four tools', () => {
    expect(createToolbox().specs.map((spec) => spec.name)).toEqual(['execute_bash', 'str_replace_editor', 'think', 'finish']);
  });

  it('answers an unknown tool with the list of tools', async () => {
    const output = await createToolbox().run(call('run_shell', {}), ctx());
    expect(output.isError).toBe(true);
    expect(output.text).toContain('execute_bash, str_replace_editor, think, finish');
  });

  it('answers missing and badly typed arguments without running anything', async () => {
    const context = ctx();
    const toolbox = createToolbox();
    const missing = await toolbox.run(call('execute_bash', {}), context);
    expect(missing).toMatchObject({ isError: true });
    expect(missing.text).toMatch(/needs the parameter "command"/);
    const badTimeout = await toolbox.run(call('execute_bash', { command: 'ls', timeout: 'soon' }), context);
    expect(badTimeout.text).toMatch(/timeout.*whole number/);
    const badCommand = await toolbox.run(call('str_replace_editor', { command: 'delete', path: '/testbed/x' }), context);
    expect(badCommand.text).toMatch(/view, create, str_replace, insert, undo_edit/);
    expect(context.target.commands).toEqual([]);
  });

  it('turns an exception into an error observation', async () => {
    const thrower: Tool = {
      spec: { name: 'boom', description: '', parameters: {}, required: [] },
      run: () => Promise.reject(new Error('kaboom')),
    };
    const output = await createToolbox([thrower]).run(call('boom', {}), ctx());
    expect(output).toEqual({ isError: true, text: 'boom failed unexpectedly: kaboom' });
  });

  it('passes coerced arguments and cuts long outputs', async () => {
    let seen: Record<string, unknown> = {};
    const echo: Tool = {
      spec: { name: 'echo', description: '', parameters: { n: { type: 'integer', description: '' } }, required: ['n'] },
      run: (args) => {
        seen = args;
        return Promise.resolve({ text: 'x'.repeat(OBSERVATION_MAX_CHARS * 2), isError: false });
      },
    };
    const output = await createToolbox([echo]).run(call('echo', { n: '3' }), ctx());
    expect(seen).toEqual({ n: 3 });
    expect(output.text.length).toBeLessThanOrEqual(OBSERVATION_MAX_CHARS);
    expect(output.text).toMatch(/^x+\n\[\.\.\. 16\d\d\d characters cut from the middle of this output \.\.\.\]\nx+$/);
  });

  it('passes the command to the target with the non-interactive environment and a capped timeout', async () => {
    const options: unknown[] = [];
    const target: ToolTarget = {
      exec(command, opts) {
        options.push({ command, opts });
        return Promise.resolve({ exitCode: 3, stdout: 'out\nerr\n', stderr: '', timedOut: false, cancelled: false, truncated: false });
      },
      readFile: () => Promise.reject(new Error('unused')),
      writeFile: () => Promise.reject(new Error('unused')),
    };
    const output = await createToolbox().run(call('execute_bash', { command: 'make', timeout: '100000' }), { target });
    expect(output).toEqual({ text: 'out\nerr\n[exit code 3]', isError: false });
    expect(options).toEqual([
      {
        command: 'exec 2>&1\nmake',
        opts: expect.objectContaining({
          cwd: '/testbed',
          timeoutMs: 900_000,
          env: expect.objectContaining({ GIT_PAGER: 'cat', PAGER: 'cat', GIT_EDITOR: 'true', EDITOR: 'true' }) as unknown,
        }) as unknown,
      },
    ]);
  });

  it('refuses an interactive command without running it', async () => {
    const context = ctx();
    const output = await createToolbox().run(call('execute_bash', { command: 'vim index.js' }), context);
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(/Refused: `vim` is interactive/);
    expect(output.text).toContain('str_replace_editor');
    expect(context.target.commands).toEqual([]);
  });

  it('returns finish with the message, task_completed coerced', async () => {
    const output = await createToolbox().run(call('finish', { message: ' Done. ', task_completed: 'false' }), ctx());
    expect(output.finish).toEqual({ message: 'Done.', taskCompleted: false });
    const implicit = await createToolbox().run(call('finish', { message: 'ok' }), ctx());
    expect(implicit.finish).toEqual({ message: 'ok', taskCompleted: true });
  });

  it('acknowledges a thought without touching the target', async () => {
    const context = ctx();
    const output = await createToolbox().run(call('think', { thought: 'Maybe the bug is in parse().' }), context);
    expect(output).toEqual({ text: 'Your thought has been noted.', isError: false });
    expect(context.target.commands).toEqual([]);
  });

  it('asks for an absolute path before touching the target', async () => {
    const context = ctx();
    const output = await createToolbox().run(call('str_replace_editor', { command: 'view', path: 'src/index.js' }), context);
    expect(output.isError).toBe(true);
    expect(output.text).toMatch(/not absolute.*\/testbed\/src\/index\.js/);
    expect(context.target.commands).toEqual([]);
  });
});

describe('the interactive-command detector', () => {
  const refused: [string, string][] = [
    ['vim x', 'vim'],
    ['vi /testbed/index.js', 'vi'],
    ['nano index.js', 'nano'],
    ['emacs index.js', 'emacs'],
    ['less file', 'less'],
    ['more README.md', 'more'],
    ['cat big.log | less', 'less'],
    ['man git', 'man'],
    ['top', 'top'],
    ['htop', 'htop'],
    ['tail -f log.txt', 'tail -f'],
    ['tail -F log.txt', 'tail -f'],
    ['tail -n 20 -f log.txt', 'tail -f'],
    ['tail --follow=name log', 'tail -f'],
    ['watch -n 1 ls', 'watch'],
    ['git commit', 'git commit'],
    ['git commit -a', 'git commit'],
    ['git -C /testbed commit --amend', 'git commit'],
    ['git rebase -i HEAD~3', 'git rebase -i'],
    ['git rebase --interactive main', 'git rebase -i'],
    ['git add -p', 'git add --patch'],
    ['git add -i', 'git add --patch'],
    ['git checkout -p file', 'git checkout --patch'],
    ['python', 'python'],
    ['python3', 'python3'],
    ['python3.11 -u', 'python3.11'],
    ['python -i script.py', 'python'],
    ['node', 'node'],
    ['ipython', 'ipython'],
    ['cd /testbed && vim index.js', 'vim'],
    ['ls; less x', 'less'],
    ['FOO=1 sudo -u root vim x', 'vim'],
    ['timeout 10 less x', 'less'],
    ['/usr/bin/vim x', 'vim'],
    ['(cd src && nano a.c)', 'nano'],
    ['echo start\npython\necho end', 'python'],
    ['for f in *.py; do vim $f; done', 'vim'],
    ['echo $(vim x)', 'vim'],
    ['vim x; touch /tmp/ran', 'vim'],
  ];
  it.each(refused)('refuses %j', (command, program) => {
    expect(detectInteractive(command)?.program).toBe(program);
  });

  const allowed = [
    'git log --oneline | head',
    'git --no-pager log -5',
    'git diff',
    'git show HEAD',
    'git commit -m "fix: parse"',
    'git commit -am "x"',
    'git commit --amend --no-edit',
    'git commit -F msg.txt',
    'git add -A',
    'git rebase main',
    'git stash',
    'python script.py',
    'python3 -m pytest -q tests/',
    'python -c "print(1)"',
    'python -V',
    "python - <<'EOF'\nimport sys\nprint(sys.version)\nEOF",
    'echo "print(1)" | python',
    'python < script.py',
    'node index.js',
    'node -e "console.log(1)"',
    'node --version',
    'npx jest',
    'npm test',
    'sed -n 1,5p f',
    'cat -n index.js',
    'tail -n 50 log.txt',
    'tail -50 log',
    'head -n 5 file | grep less',
    'echo vim',
    'echo "less is more"',
    "grep -rn 'vim' .",
    'ls -la # then vim it',
    'top -b -n 1',
    'emacs --batch -l script.el',
    'find . -name "*.py" | xargs grep -n foo',
    "cat > notes.txt <<'EOF'\nless\nvim x\npython\nEOF\necho done",
    'cat <<-EOF > f\n\tless x\n\tEOF',
    'echo x 2>&1 | tee out.log',
    'ls > /tmp/vim',
    'lessc style.less',
    'moreutils',
    'pip install -e .',
  ];
  it.each(allowed)('allows %j', (command) => {
    expect(detectInteractive(command)).toBeUndefined();
  });

  it('splits commands at operators and skips heredoc bodies', () => {
    expect(splitCommands("a 'b c' && d|e 2>&1; f <<X\nbody\nX\ng > out").map((c) => [c.words, c.stdinGiven])).toEqual([
      [['a', 'b c'], false],
      [['d'], false],
      [['e'], true],
      [['f'], true],
      [['g'], false],
    ]);
  });
});

describe('observation cutting', () => {
  it('leaves short text alone', () => {
    expect(cutMiddle('short', 10)).toBe('short');
    expect(cutMiddle('x'.repeat(10), 10)).toBe('x'.repeat(10));
  });

  it('keeps the head and the tail and says how much was cut', () => {
    const text = `HEAD${'m'.repeat(1000)}TAIL`;
    const cut = cutMiddle(text, 200);
    const match = /^(HEADm+)\n\[\.\.\. (\d+) characters cut from the middle of this output \.\.\.\]\n(m+TAIL)$/.exec(cut);
    expect(match).not.toBeNull();
    const [, head = '', count = '', tail = ''] = match ?? [];
    expect(head.length + Number(count) + tail.length).toBe(text.length);
    expect(Math.abs(head.length - tail.length)).toBeLessThanOrEqual(1);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut.length).toBeGreaterThan(195);
  });

  it('says when the count is a lower bound', () => {
    expect(cutMiddle('x'.repeat(300), 100, true)).toMatch(/^x+\n\[\.\.\. more than \d+ characters cut from the middle of this output \.\.\.\]\nx+$/);
  });

  it('does not split a surrogate pair', () => {
    const cut = cutMiddle('😀'.repeat(100), 51);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('is applied by default at OBSERVATION_MAX_CHARS', () => {
    const cut = cutMiddle('a'.repeat(OBSERVATION_MAX_CHARS + 1));
    expect(cut).toMatch(/\n\[\.\.\. \d+ characters cut from the middle of this output \.\.\.\]\n/);
    expect(cut.length).toBeLessThanOrEqual(OBSERVATION_MAX_CHARS);
  });
});

describe('editor helpers', () => {
  it('numbers lines like cat -n', () => {
    expect(numbered(['a', 'b'], 1, 2)).toBe('     1\ta\n     2\tb');
    expect(numbered(splitLines('x\ny\nz\n'), 2, 10)).toBe('     2\ty\n     3\tz');
  });

  it('splits lines without a phantom last one', () => {
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\n')).toEqual(['a']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
    expect(splitLines('\n')).toEqual(['']);
  });

  it('finds overlapping occurrences', () => {
    expect(occurrences('aaaa', 'aa')).toEqual([0, 1, 2]);
    expect(occurrences('abc', 'x')).toEqual([]);
  });
});
