/**
 * The text tool-call format: tools are described in the system prompt and
 * the model writes its call as tagged text,
 *
 *     <function=execute_bash>
 *     <parameter=command>
 *     ls -la
 *     </parameter>
 *     </function>
 *
 * the convention of OpenHands' CodeAct agent, which open models trained on
 * its trajectories (Skywork-SWE-32B among them) follow when served without a
 * tool parser (design.md §4). The request sets the stop sequence `</function`
 * (https://platform.openai.com/docs/api-reference/chat/create#chat-create-stop)
 * so generation ends after one call; servers drop the stop text itself, which
 * is why a missing final `</function>` is normal here.
 *
 * The prompt wording is ours; only the tag syntax is shared with OpenHands.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ParameterSchema, ToolCall, ToolSpec } from '../tool-spec.ts';

/** Generation stops here; the server leaves it out of the reply. */
export const STOP_WORDS: readonly string[] = ['</function'];

/** What a reply holds: the calls, the reasoning before them, and what was wrong, if anything. */
export interface ParsedReply {
  calls: ToolCall[];
  /** The text before the first call (the whole reply when there is no call), trimmed. */
  thought: string;
  /** Set when the reply has no call or breaks the format; `calls` is then empty. */
  error?: string;
}

const FUNCTION_OPEN = '<function=';
const PARAMETER_OPEN = '<parameter=';
const PARAMETER_CLOSE = '</parameter>';
/** A tool or parameter name: what may stand between `=` and `>`. */
const NAME = /^[A-Za-z_][\w.-]*$/;

/**
 * Reads the calls in a reply. Parameter values are taken exactly as written,
 * except that one line break right after `<parameter=NAME>` and one right
 * before `</parameter>` belong to the layout, not the value (so
 * `...last line\n\n</parameter>` keeps one final newline). Values are not
 * searched for tags: code containing `<` or even `<function=` is fine inside
 * a parameter. Calls get ids `call_0`, `call_1`, … in reply order.
 */
export function parseTextToolCalls(reply: string): ParsedReply {
  const first = reply.indexOf(FUNCTION_OPEN);
  if (first === -1) {
    return { calls: [], thought: reply.trim(), error: 'The reply contains no tool call (no <function=NAME> block).' };
  }
  const thought = reply.slice(0, first).trim();
  const calls: ToolCall[] = [];
  let pos = first;
  while (pos < reply.length) {
    const start = reply.indexOf(FUNCTION_OPEN, pos);
    if (start === -1) break;
    const block = parseBlock(reply, start, calls.length);
    if ('error' in block) return { calls: [], thought, error: block.error };
    calls.push(block.call);
    pos = block.end;
  }
  return { calls, thought };
}

type BlockResult = { call: ToolCall; end: number } | { error: string };

function parseBlock(text: string, start: number, index: number): BlockResult {
  const nameEnd = text.indexOf('>', start);
  const name = nameEnd === -1 ? '' : text.slice(start + FUNCTION_OPEN.length, nameEnd).trim();
  if (!NAME.test(name)) {
    const shown = text.slice(start, nameEnd === -1 ? start + 40 : nameEnd + 1);
    return { error: `"${shown}" does not name a tool: write <function=TOOL_NAME>.` };
  }
  const args: Record<string, unknown> = {};
  let pos = nameEnd + 1;
  for (;;) {
    pos = skipWhitespace(text, pos);
    if (pos >= text.length || isFunctionClose(text, pos)) break;
    if (text.startsWith(FUNCTION_OPEN, pos)) {
      return { error: `<function=${name}> is not closed before the next <function=…>; close each call with </function>.` };
    }
    if (!text.startsWith(PARAMETER_OPEN, pos)) {
      const stray = text.slice(pos, pos + 40).split('\n')[0] ?? '';
      return {
        error: `Unexpected text "${stray}" inside <function=${name}>: only <parameter=NAME>value</parameter> blocks may appear there.`,
      };
    }
    const paramNameEnd = text.indexOf('>', pos);
    const paramName = paramNameEnd === -1 ? '' : text.slice(pos + PARAMETER_OPEN.length, paramNameEnd).trim();
    if (!NAME.test(paramName)) {
      return { error: `A parameter of <function=${name}> has no valid name: write <parameter=NAME>value</parameter>.` };
    }
    const close = text.indexOf(PARAMETER_CLOSE, paramNameEnd + 1);
    if (close === -1) {
      return {
        error:
          `Parameter "${paramName}" of <function=${name}> is not closed with </parameter> ` +
          '(the reply may have been cut off by the output limit).',
      };
    }
    if (Object.hasOwn(args, paramName)) {
      return { error: `Parameter "${paramName}" is given twice in <function=${name}>.` };
    }
    args[paramName] = trimLayoutNewlines(text.slice(paramNameEnd + 1, close));
    pos = close + PARAMETER_CLOSE.length;
  }
  const end = pos >= text.length ? text.length : functionCloseEnd(text, pos);
  return { call: { id: `call_${index}`, name, arguments: args }, end };
}

/** `</function>` or, at the end of the reply, `</function` left by the stop word, with optional spaces. */
function isFunctionClose(text: string, pos: number): boolean {
  const close = /<\/function\s*(?:>|$)/y;
  close.lastIndex = pos;
  return close.test(text);
}

function functionCloseEnd(text: string, pos: number): number {
  const close = /<\/function\s*>?/y;
  close.lastIndex = pos;
  return close.test(text) ? close.lastIndex : pos;
}

function skipWhitespace(text: string, pos: number): number {
  let at = pos;
  while (at < text.length && /\s/.test(text.charAt(at))) at += 1;
  return at;
}

function trimLayoutNewlines(value: string): string {
  let out = value;
  if (out.startsWith('\r\n')) out = out.slice(2);
  else if (out.startsWith('\n')) out = out.slice(1);
  if (out.endsWith('\r\n')) out = out.slice(0, -2);
  else if (out.endsWith('\n')) out = out.slice(0, -1);
  return out;
}

/**
 * The tool list and the call syntax, for the end of the system prompt. The
 * example is built from the first tool so it is always a real one.
 */
export function describeTools(specs: readonly ToolSpec[]): string {
  const lines: string[] = [
    'TOOLS',
    '',
    'You work by calling tools. To call one, end your reply with a block in exactly this form:',
    '',
    '<function=TOOL_NAME>',
    '<parameter=PARAMETER_NAME>value</parameter>',
    '<parameter=OTHER_PARAMETER>',
    'a value that spans',
    'several lines',
    '</parameter>',
    '</function>',
    '',
    'Rules:',
    '- One tool call per reply. You may explain your reasoning before it; write nothing after </function>.',
    '- Values are used literally: no quotes, no escaping. A multi-line value starts on the line after',
    '  <parameter=NAME>; the line break just before </parameter> is not part of the value.',
    '- Give every required parameter; leave out optional ones you do not need.',
    '  Numbers, booleans and lists are written as JSON (5, true, [1, 20]).',
    '- The result comes back in the next message, which starts with "EXECUTION RESULT of [TOOL_NAME]:".',
    '- When the task is done, or you cannot make progress, call the finish tool.',
  ];
  const example = specs[0];
  if (example !== undefined) lines.push('', 'For example (… stands for your value):', '', exampleCall(example));
  lines.push('', 'Available tools:');
  for (const spec of specs) {
    lines.push('', `---- ${spec.name} ----`, spec.description.trim());
    const names = Object.keys(spec.parameters);
    if (names.length === 0) {
      lines.push('Parameters: none');
      continue;
    }
    lines.push('Parameters:');
    names.forEach((name, i) => {
      const schema = spec.parameters[name];
      if (schema === undefined) return;
      const required = spec.required.includes(name) ? 'required' : 'optional';
      lines.push(`  (${i + 1}) ${name} (${typeLabel(schema)}, ${required}): ${schema.description.trim()}`);
    });
  }
  return lines.join('\n');
}

function typeLabel(schema: ParameterSchema): string {
  if (schema.enum !== undefined && schema.enum.length > 0) return `${schema.type}, one of: ${schema.enum.join(', ')}`;
  if (schema.items?.type === 'object') {
    const fields = Object.entries(schema.items.properties).map(([name, field]) => {
      const required = schema.items?.type === 'object' && schema.items.required.includes(name) ? 'required' : 'optional';
      const values = field.enum === undefined ? '' : `: ${field.enum.join('|')}`;
      return `"${name}" (${field.type}${values}, ${required}): ${field.description}`;
    });
    return `a JSON list of objects, each with\n      ${fields.join('\n      ')}\n     `;
  }
  if (schema.type === 'array' && schema.items !== undefined) return `array of ${schema.items.type}`;
  return schema.type;
}

function exampleCall(spec: ToolSpec): string {
  const names = spec.required.length > 0 ? spec.required : Object.keys(spec.parameters).slice(0, 1);
  const params = names.map((name) => {
    const schema = spec.parameters[name];
    return `<parameter=${name}>${schema === undefined ? '…' : exampleValue(schema)}</parameter>`;
  });
  return [`<function=${spec.name}>`, ...params, '</function>'].join('\n');
}

function exampleValue(schema: ParameterSchema): string {
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  if (schema.type === 'integer') return '1';
  if (schema.type === 'boolean') return 'true';
  if (schema.items?.type === 'object') return '[{…}]';
  if (schema.type === 'array') return '[1, 20]';
  return '…';
}

/** A tool's output, as the next user message. */
export function formatToolResult(call: Pick<ToolCall, 'name'>, output: string): ChatCompletionMessageParam {
  return { role: 'user', content: `EXECUTION RESULT of [${call.name}]:\n${output}` };
}

/** Sent when a reply names no tool or breaks the format: what went wrong and how to call a tool. */
export function correctiveMessage(problem: string): ChatCompletionMessageParam {
  return {
    role: 'user',
    content: [
      problem,
      '',
      'Every reply must end with exactly one tool call in this form:',
      '<function=TOOL_NAME>',
      '<parameter=PARAMETER_NAME>value</parameter>',
      '</function>',
      'If the task is complete, or you cannot make progress, call the finish tool.',
    ].join('\n'),
  };
}
