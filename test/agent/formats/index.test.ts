import { describe, expect, it } from 'vitest';
import { formatFor, nativeFormat, textFormat } from '../../../src/agent/formats/index.ts';
import {
  correctiveMessage as nativeCorrective,
  formatToolResult as nativeResult,
  parseNativeToolCalls,
  toOpenAiTools,
} from '../../../src/agent/formats/native.ts';
import {
  STOP_WORDS,
  correctiveMessage,
  describeTools,
  formatToolResult,
  parseTextToolCalls,
} from '../../../src/agent/formats/text.ts';
import type { ToolSpec } from '../../../src/agent/tool-spec.ts';

const SPECS: ToolSpec[] = [
  {
    name: 'execute_bash',
    description: 'Run a bash command in the repository container.',
    parameters: { command: { type: 'string', description: 'The command to run.' } },
    required: ['command'],
  },
  {
    name: 'str_replace_editor',
    description: 'View, create and edit files.',
    parameters: {
      command: { type: 'string', description: 'What to do.', enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'] },
      path: { type: 'string', description: 'Absolute path of the file.' },
      file_text: { type: 'string', description: 'Content of the file to create.' },
      view_range: { type: 'array', description: 'Lines to show.', items: { type: 'integer' } },
      insert_line: { type: 'integer', description: 'Insert after this line.' },
    },
    required: ['command', 'path'],
  },
  {
    name: 'finish',
    description: 'End the task.',
    parameters: {
      message: { type: 'string', description: 'What was done.' },
      task_completed: { type: 'boolean', description: 'Whether the task is solved.' },
    },
    required: ['message'],
  },
];

describe('text format: parseTextToolCalls', () => {
  it('reads a thought and one call', () => {
    const reply = [
      'The failing test imports `parse` from utils; let me look at that file first.',
      '',
      '<function=execute_bash>',
      '<parameter=command>',
      'cat /testbed/src/utils.py | head -50',
      '</parameter>',
      '</function>',
    ].join('\n');
    const parsed = parseTextToolCalls(reply);
    expect(parsed.error).toBeUndefined();
    expect(parsed.thought).toBe('The failing test imports `parse` from utils; let me look at that file first.');
    expect(parsed.calls).toEqual([
      { id: 'call_0', name: 'execute_bash', arguments: { command: 'cat /testbed/src/utils.py | head -50' } },
    ]);
  });

  it('keeps exactly one final newline when the model leaves a blank line before </parameter>', () => {
    const reply = [
      'I will add a reproduction script.',
      '<function=str_replace_editor>',
      '<parameter=command>create</parameter>',
      '<parameter=path>/testbed/reproduce.py</parameter>',
      '<parameter=file_text>',
      'from pkg import parse',
      '',
      'print(parse("1.0"))',
      '',
      '</parameter>',
      '</function>',
    ].join('\n');
    const { calls, error } = parseTextToolCalls(reply);
    expect(error).toBeUndefined();
    expect(calls[0]?.arguments).toEqual({
      command: 'create',
      path: '/testbed/reproduce.py',
      file_text: 'from pkg import parse\n\nprint(parse("1.0"))\n',
    });
  });

  it('keeps leading spaces, indentation and trailing spaces inside values', () => {
    const reply = [
      '<function=str_replace_editor>',
      '<parameter=command>str_replace</parameter>',
      '<parameter=path>/testbed/a.py</parameter>',
      '<parameter=old_str>    def f(self):',
      '        return 1  </parameter>',
      '<parameter=new_str>',
      '    def f(self):',
      '\treturn 2',
      '</parameter>',
      '</function>',
    ].join('\n');
    const { calls } = parseTextToolCalls(reply);
    expect(calls[0]?.arguments['old_str']).toBe('    def f(self):\n        return 1  ');
    expect(calls[0]?.arguments['new_str']).toBe('    def f(self):\n\treturn 2');
  });

  it('accepts a call whose </function> was cut off by the stop word, with trailing whitespace', () => {
    const cut = 'Run the tests.\n<function=execute_bash>\n<parameter=command>pytest -x tests/</parameter>\n  \n';
    expect(parseTextToolCalls(cut)).toEqual({
      thought: 'Run the tests.',
      calls: [{ id: 'call_0', name: 'execute_bash', arguments: { command: 'pytest -x tests/' } }],
    });
    // Servers that keep the stop text leave a bare "</function".
    const kept = '<function=execute_bash>\n<parameter=command>ls</parameter>\n</function';
    expect(parseTextToolCalls(kept).calls).toHaveLength(1);
    expect(STOP_WORDS).toEqual(['</function']);
  });

  it('returns both calls when a reply holds two', () => {
    const reply = [
      'First look, then finish.',
      '<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>',
      'and then',
      '<function=finish>\n<parameter=message>done</parameter>\n<parameter=task_completed>true</parameter>\n</function>',
    ].join('\n');
    const { calls, error } = parseTextToolCalls(reply);
    expect(error).toBeUndefined();
    expect(calls.map((c) => [c.id, c.name])).toEqual([
      ['call_0', 'execute_bash'],
      ['call_1', 'finish'],
    ]);
    expect(calls[1]?.arguments).toEqual({ message: 'done', task_completed: 'true' });
  });

  it('gives no calls and a reason when the reply has no call', () => {
    const parsed = parseTextToolCalls('I think the bug is in parse(). I will fix it now!');
    expect(parsed.calls).toEqual([]);
    expect(parsed.thought).toBe('I think the bug is in parse(). I will fix it now!');
    expect(parsed.error).toMatch(/no tool call/);
    expect(parseTextToolCalls('').error).toMatch(/no tool call/);
  });

  it('reports an unclosed parameter', () => {
    const parsed = parseTextToolCalls('<function=execute_bash>\n<parameter=command>ls -la\n');
    expect(parsed.calls).toEqual([]);
    expect(parsed.error).toMatch(/"command".*not closed with <\/parameter>/);
  });

  it('reports nested function tags, stray text, bad names and repeated parameters', () => {
    expect(parseTextToolCalls('<function=a>\n<function=b>\n<parameter=x>1</parameter>\n</function>').error).toMatch(
      /not closed before the next <function=/,
    );
    expect(parseTextToolCalls('<function=execute_bash>\ncommand: ls\n</function>').error).toMatch(
      /Unexpected text "command: ls" inside <function=execute_bash>/,
    );
    expect(parseTextToolCalls('<function=>\n</function>').error).toMatch(/does not name a tool/);
    expect(parseTextToolCalls('<function=execute_bash\n<parameter=command>ls</parameter>').error).toMatch(/does not name a tool/);
    expect(parseTextToolCalls('<function=a>\n<parameter=x>1</parameter>\n<parameter=x>2</parameter>\n</function>').error).toMatch(
      /"x" is given twice/,
    );
    expect(parseTextToolCalls('<function=a>\n<parameter=>1</parameter>\n</function>').error).toMatch(/no valid name/);
    expect(parseTextToolCalls('<function=a>\n<parameter x>1</parameter>\n</function>').error).toMatch(/Unexpected text/);
  });

  it('keeps code with <, >, tags and even <function= inside a value', () => {
    const code = [
      'if (a < b && b > c) {',
      '  html = "<div class=\\"x\\">" + s + "</div>";',
      '  const tpl = "<function=fake>";',
      '}',
    ].join('\n');
    const reply = `<function=str_replace_editor>\n<parameter=command>create</parameter>\n<parameter=path>/testbed/x.js</parameter>\n<parameter=file_text>\n${code}\n</parameter>\n</function>`;
    const { calls, error } = parseTextToolCalls(reply);
    expect(error).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.arguments['file_text']).toBe(code);
  });

  it('drops only one newline on each side, also for CRLF', () => {
    const { calls } = parseTextToolCalls('<function=t>\n<parameter=v>\n\nx\n\n</parameter>\n</function>');
    expect(calls[0]?.arguments['v']).toBe('\nx\n');
    const crlf = parseTextToolCalls('<function=t>\r\n<parameter=v>\r\nx\r\n</parameter>\r\n</function>');
    expect(crlf.calls[0]?.arguments['v']).toBe('x');
  });
});

describe('text format: prompt and messages', () => {
  it('describeTools names every tool and parameter and shows the syntax', () => {
    const text = describeTools(SPECS);
    for (const spec of SPECS) {
      expect(text).toContain(spec.name);
      expect(text).toContain(spec.description);
      for (const param of Object.keys(spec.parameters)) expect(text).toContain(param);
    }
    expect(text).toContain('<function=TOOL_NAME>');
    expect(text).toContain('<parameter=PARAMETER_NAME>value</parameter>');
    expect(text).toContain('</function>');
    expect(text).toMatch(/one tool call per reply/i);
    expect(text).toContain('<function=execute_bash>\n<parameter=command>');
    expect(text).toContain('command (string, one of: view, create, str_replace, insert, undo_edit, required)');
    expect(text).toContain('view_range (array of integer, optional)');
    expect(text).toContain('finish');
  });

  it('formats results and corrective messages', () => {
    expect(formatToolResult({ name: 'execute_bash' }, 'total 0\n[exit code 0]')).toEqual({
      role: 'user',
      content: 'EXECUTION RESULT of [execute_bash]:\ntotal 0\n[exit code 0]',
    });
    const corrective = correctiveMessage('The reply contains no tool call.');
    expect(corrective.role).toBe('user');
    expect(corrective.content).toContain('The reply contains no tool call.');
    expect(corrective.content).toContain('<function=TOOL_NAME>');
    expect(corrective.content).toContain('finish');
  });
});

describe('native format', () => {
  it('turns specs into JSON Schema function tools', () => {
    const tools = toOpenAiTools(SPECS);
    expect(tools).toHaveLength(3);
    expect(tools[1]).toEqual({
      type: 'function',
      function: {
        name: 'str_replace_editor',
        description: 'View, create and edit files.',
        parameters: {
          type: 'object',
          properties: {
            command: { type: 'string', description: 'What to do.', enum: ['view', 'create', 'str_replace', 'insert', 'undo_edit'] },
            path: { type: 'string', description: 'Absolute path of the file.' },
            file_text: { type: 'string', description: 'Content of the file to create.' },
            view_range: { type: 'array', description: 'Lines to show.', items: { type: 'integer' } },
            insert_line: { type: 'integer', description: 'Insert after this line.' },
          },
          required: ['command', 'path'],
        },
      },
    });
  });

  const call = (args: string) => ({ id: 'call_abc', type: 'function' as const, function: { name: 'execute_bash', arguments: args } });

  it('parses tool_calls with valid arguments', () => {
    const parsed = parseNativeToolCalls({ content: ' Checking. ', tool_calls: [call('{"command":"ls -la"}')] });
    expect(parsed).toEqual({ thought: 'Checking.', calls: [{ id: 'call_abc', name: 'execute_bash', arguments: { command: 'ls -la' } }] });
    expect(parseNativeToolCalls({ content: null, tool_calls: [call('')] }).calls[0]?.arguments).toEqual({});
  });

  it('reports missing calls and malformed arguments instead of throwing', () => {
    const none = parseNativeToolCalls({ content: 'All done, I think.' });
    expect(none.calls).toEqual([]);
    expect(none.thought).toBe('All done, I think.');
    expect(none.error).toMatch(/no tool call/);
    const bad = parseNativeToolCalls({ content: null, tool_calls: [call('{"command": "ls')] });
    expect(bad.calls).toEqual([]);
    expect(bad.error).toMatch(/execute_bash call are not valid JSON/);
    expect(parseNativeToolCalls({ content: null, tool_calls: [call('["ls"]')] }).error).toMatch(/must be a JSON object/);
  });

  it('answers a call with a tool message', () => {
    expect(nativeResult({ id: 'call_abc' }, 'ok')).toEqual({ role: 'tool', tool_call_id: 'call_abc', content: 'ok' });
    expect(nativeCorrective('No call.').content).toMatch(/No call\.[\s\S]*finish/);
  });
});

describe('ToolFormat', () => {
  it('text: stop words, prompt suffix, parse, history and results', () => {
    const format = formatFor('text');
    expect(format).toBe(textFormat);
    expect(format.requestOptions(SPECS)).toEqual({ stop: ['</function'] });
    expect(format.systemPromptSuffix(SPECS)).toContain('---- str_replace_editor ----');
    const message = { role: 'assistant' as const, content: 'Look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n' };
    expect(format.parse(message).calls[0]?.name).toBe('execute_bash');
    expect(format.historyMessage(message)).toEqual({
      role: 'assistant',
      content: 'Look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>',
    });
    const closed = { role: 'assistant' as const, content: 'x <function=a>\n</function>' };
    expect(format.historyMessage(closed).content).toBe('x <function=a>\n</function>');
    expect(format.result({ id: 'call_0', name: 'think', arguments: {} }, 'ok')).toEqual({
      role: 'user',
      content: 'EXECUTION RESULT of [think]:\nok',
    });
    expect(format.corrective('bad').role).toBe('user');
  });

  it('native: tools, parse, history and results', () => {
    const format = formatFor('native');
    expect(format).toBe(nativeFormat);
    const options = format.requestOptions(SPECS);
    expect(options.stop).toBeUndefined();
    expect(options.tools?.map((t) => (t.type === 'function' ? t.function.name : ''))).toEqual(['execute_bash', 'str_replace_editor', 'finish']);
    const message = {
      role: 'assistant' as const,
      content: null,
      tool_calls: [{ id: 'c1', type: 'function' as const, function: { name: 'finish', arguments: '{"message":"ok"}' } }],
    };
    expect(format.parse(message).calls).toEqual([{ id: 'c1', name: 'finish', arguments: { message: 'ok' } }]);
    expect(format.historyMessage(message)).toEqual(message);
    expect(format.result({ id: 'c1', name: 'finish', arguments: {} }, 'bye')).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'bye' });
  });
});
