/**
 * The native tool-call format: tools go in the request's `tools` field as
 * JSON Schema functions and the model answers with `tool_calls`
 * (https://platform.openai.com/docs/guides/function-calling). With vLLM this
 * needs a server started with `--enable-auto-tool-choice --tool-call-parser …`;
 * without one the text format (text.ts) is the one to use.
 */
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from 'openai/resources/chat/completions';
import type { ToolCall, ToolSpec } from '../tool-spec.ts';
import type { ParsedReply } from './text.ts';

/** The specs as function tools. Arrays keep their `items`, enums their values. */
export function toOpenAiTools(specs: readonly ToolSpec[]): ChatCompletionFunctionTool[] {
  return specs.map((spec) => {
    const properties: Record<string, Record<string, unknown>> = {};
    for (const [name, schema] of Object.entries(spec.parameters)) {
      const property: Record<string, unknown> = { type: schema.type, description: schema.description };
      if (schema.enum !== undefined) property['enum'] = [...schema.enum];
      if (schema.items !== undefined) property['items'] = { ...schema.items };
      properties[name] = property;
    }
    return {
      type: 'function',
      function: {
        name: spec.name,
        description: spec.description,
        parameters: { type: 'object', properties, required: [...spec.required] },
      },
    };
  });
}

/** The part of an assistant message this format reads. */
export interface NativeMessage {
  content: string | null;
  tool_calls?: readonly ChatCompletionMessageToolCall[] | undefined;
}

/**
 * Reads `tool_calls`. Arguments are JSON strings written by the model, so
 * they may be invalid: that is reported as `error` (and no calls), never
 * thrown. Empty arguments mean `{}`.
 */
export function parseNativeToolCalls(message: NativeMessage): ParsedReply {
  const thought = (message.content ?? '').trim();
  const raw = message.tool_calls ?? [];
  if (raw.length === 0) {
    return { calls: [], thought, error: 'The reply contains no tool call.' };
  }
  const calls: ToolCall[] = [];
  for (const [index, call] of raw.entries()) {
    if (call.type !== 'function') {
      return { calls: [], thought, error: `Tool call ${call.id} is of type "${call.type}"; only function tools exist here.` };
    }
    const name = call.function.name;
    const text = call.function.arguments.trim();
    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { calls: [], thought, error: `The arguments of the ${name} call are not valid JSON (${reason}).` };
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { calls: [], thought, error: `The arguments of the ${name} call must be a JSON object of parameter names to values.` };
    }
    calls.push({ id: call.id || `call_${index}`, name, arguments: parsed as Record<string, unknown> });
  }
  return { calls, thought };
}

/** A tool's output, as the `tool` message answering the call's id. */
export function formatToolResult(call: Pick<ToolCall, 'id'>, output: string): ChatCompletionMessageParam {
  return { role: 'tool', tool_call_id: call.id, content: output };
}

/** Sent when a reply calls no tool or a call cannot be read. */
export function correctiveMessage(problem: string): ChatCompletionMessageParam {
  return {
    role: 'user',
    content:
      `${problem}\n\nCall one of the provided tools (one call per reply). ` +
      'If the task is complete, or you cannot make progress, call the finish tool.',
  };
}
