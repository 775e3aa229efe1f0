/**
 * The toolbox of one agent run: the tool specs to offer the model, and
 * run(call) that checks the arguments against the spec (coercing the
 * strings the text format gives), runs the tool and turns every failure
 * into an observation. run never throws.
 */
import { describeError } from '../../errors.ts';
import type { ParameterSchema, ToolCall, ToolSpec } from '../tool-spec.ts';
import { createExecuteBash } from './execute-bash.ts';
import { createFinish } from './finish.ts';
import { cutMiddle } from './observation.ts';
import { createEditor } from './str-replace-editor.ts';
import { createThink } from './think.ts';
import { errorOutput, type Tool, type ToolContext, type ToolOutput } from './types.ts';

export type { Tool, ToolContext, ToolExecOptions, ToolExecResult, ToolFinish, ToolOutput, ToolTarget } from './types.ts';
export { BASH_MAX_TIMEOUT_MS, BASH_TIMEOUT_MS } from './execute-bash.ts';
export { OBSERVATION_MAX_CHARS, cutMiddle } from './observation.ts';

export interface Toolbox {
  specs: ToolSpec[];
  run(call: ToolCall, ctx: ToolContext): Promise<ToolOutput>;
}

/** A toolbox with fresh tool state (the editor's undo history): one per agent run. */
export function createToolbox(tools: readonly Tool[] = defaultTools()): Toolbox {
  const byName = new Map(tools.map((tool) => [tool.spec.name, tool]));
  return {
    specs: tools.map((tool) => tool.spec),
    async run(call, ctx) {
      const tool = byName.get(call.name);
      if (tool === undefined) {
        return errorOutput(`There is no tool named "${call.name}". The tools are: ${[...byName.keys()].join(', ')}.`);
      }
      const checked = validateArguments(tool.spec, call.arguments);
      if ('error' in checked) return errorOutput(checked.error);
      if (ctx.signal?.aborted === true) return errorOutput(`${call.name} was not run: the agent run was cancelled.`);
      try {
        const output = await tool.run(checked.args, ctx);
        return { ...output, text: cutMiddle(output.text) };
      } catch (error) {
        return errorOutput(cutMiddle(`${call.name} failed unexpectedly: ${describeError(error)}`));
      }
    },
  };
}

export function defaultTools(): Tool[] {
  return [createExecuteBash(), createEditor(), createThink(), createFinish()];
}

/**
 * Checks arguments against a spec: required ones present, no unknown ones,
 * types right. Strings are coerced where the text format cannot say better:
 * "12" → 12, "true" → true, "[1, 20]" → [1, 20]; numbers and booleans given
 * for a string become their text. An empty string for a non-string optional
 * parameter counts as absent.
 */
export function validateArguments(
  spec: ToolSpec,
  given: Record<string, unknown>,
): { args: Record<string, unknown> } | { error: string } {
  const args: Record<string, unknown> = {};
  const names = Object.keys(spec.parameters);
  for (const [name, value] of Object.entries(given)) {
    const schema = spec.parameters[name];
    if (schema === undefined) {
      return { error: `${spec.name} has no parameter "${name}". Its parameters are: ${names.join(', ')}.` };
    }
    if (value === undefined || value === null) continue;
    if (value === '' && schema.type !== 'string') continue;
    const coerced = coerce(schema, value);
    if ('error' in coerced) return { error: `Parameter "${name}" of ${spec.name}: ${coerced.error}` };
    args[name] = coerced.value;
  }
  const missing = spec.required.filter((name) => args[name] === undefined);
  if (missing.length > 0) {
    const list = missing.map((name) => `"${name}"`).join(', ');
    return { error: `${spec.name} needs the parameter${missing.length === 1 ? '' : 's'} ${list}. Its parameters are: ${names.join(', ')}.` };
  }
  return { args };
}

type Coerced = { value: unknown } | { error: string };

function coerce(schema: ParameterSchema, value: unknown): Coerced {
  switch (schema.type) {
    case 'string': {
      const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
      if (text === undefined) return { error: `expected text, got ${describeValue(value)}.` };
      if (schema.enum !== undefined && !schema.enum.includes(text.trim())) {
        return { error: `"${text}" is not allowed; use one of: ${schema.enum.join(', ')}.` };
      }
      return { value: schema.enum === undefined ? text : text.trim() };
    }
    case 'integer':
      return coerceInteger(value);
    case 'boolean': {
      if (typeof value === 'boolean') return { value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return { value: value.trim().toLowerCase() === 'true' };
      return { error: `expected true or false, got ${describeValue(value)}.` };
    }
    case 'array': {
      let list: unknown = value;
      if (typeof value === 'string') {
        const text = value.trim();
        try {
          list = JSON.parse(text.startsWith('[') ? text : `[${text}]`);
        } catch (error) {
          return { error: `expected ${listExample(schema)}, got ${describeValue(value)} (${(error as Error).message}).` };
        }
      }
      if (!Array.isArray(list)) return { error: `expected ${listExample(schema)}, got ${describeValue(value)}.` };
      if (schema.items?.type !== 'integer') return { value: list };
      const out: number[] = [];
      for (const item of list) {
        const one = coerceInteger(item);
        if ('error' in one) return { error: `expected a list of whole numbers such as [1, 20], got ${describeValue(value)}.` };
        out.push(one.value as number);
      }
      return { value: out };
    }
    default:
      return { value };
  }
}

function listExample(schema: ParameterSchema): string {
  return schema.items?.type === 'object' ? 'a JSON list of objects such as [{"path": "a.js", "line": 3, "body": "…"}]' : 'a list such as [1, 20]';
}

function coerceInteger(value: unknown): Coerced {
  if (typeof value === 'number' && Number.isInteger(value)) return { value };
  if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return { value: Number.parseInt(value, 10) };
  return { error: `expected a whole number, got ${describeValue(value)}.` };
}

function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
