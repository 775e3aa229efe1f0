/**
 * The two ways a model can call tools (design.md §4), behind one interface
 * so the agent loop does not care which is in use: `text` (the default, for
 * CodeAct-trained open models served without a tool parser) and `native`
 * (OpenAI function calling). SWE_BOT_TOOL_FORMAT chooses.
 */
import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { AssistantMessage } from '../model-reply.ts';
import type { ToolCall, ToolSpec } from '../tool-spec.ts';
import * as native from './native.ts';
import * as text from './text.ts';

export type { ParsedReply } from './text.ts';

export type ToolFormatName = 'text' | 'native';

/** What a format adds to a chat-completions request. */
export interface FormatRequestOptions {
  tools?: ChatCompletionTool[];
  stop?: string[];
}

export interface ToolFormat {
  readonly name: ToolFormatName;
  /** Text to append to the system prompt (the tool list, for `text`; a short reminder for `native`). */
  systemPromptSuffix(specs: readonly ToolSpec[]): string;
  /** Fields for the request: `stop` for `text`, `tools` for `native`. */
  requestOptions(specs: readonly ToolSpec[]): FormatRequestOptions;
  /** The calls in a reply; `error` (with no calls) when there is none or it cannot be read. */
  parse(message: AssistantMessage): text.ParsedReply;
  /**
   * The reply as it goes back into the conversation. For `text` this restores
   * the `</function>` the stop word removed, so the model keeps seeing
   * well-formed calls in its own history.
   */
  historyMessage(message: AssistantMessage): ChatCompletionAssistantMessageParam;
  /** A tool's output as the message that answers `call`. */
  result(call: ToolCall, output: string): ChatCompletionMessageParam;
  /** The message sent back when a reply could not be used; `problem` says why. */
  corrective(problem: string): ChatCompletionMessageParam;
}

export const textFormat: ToolFormat = {
  name: 'text',
  systemPromptSuffix: (specs) => text.describeTools(specs),
  requestOptions: () => ({ stop: [...text.STOP_WORDS] }),
  parse: (message) => text.parseTextToolCalls(message.content ?? ''),
  historyMessage: (message) => ({ role: 'assistant', content: closeLastCall(message.content ?? '') }),
  result: (call, output) => text.formatToolResult(call, output),
  corrective: (problem) => text.correctiveMessage(problem),
};

export const nativeFormat: ToolFormat = {
  name: 'native',
  systemPromptSuffix: () =>
    'Act by calling the provided tools, one call per reply. When the task is done, or you cannot make progress, call the finish tool.',
  requestOptions: (specs) => ({ tools: native.toOpenAiTools(specs) }),
  parse: (message) => native.parseNativeToolCalls(message),
  historyMessage: (message) => {
    const out: ChatCompletionAssistantMessageParam = { role: 'assistant', content: message.content };
    if (message.tool_calls !== undefined && message.tool_calls.length > 0) out.tool_calls = message.tool_calls;
    return out;
  },
  result: (call, output) => native.formatToolResult(call, output),
  corrective: (problem) => native.correctiveMessage(problem),
};

export function formatFor(name: ToolFormatName): ToolFormat {
  return name === 'native' ? nativeFormat : textFormat;
}

/** Appends `</function>` when the reply's last call was left open by the stop word. */
function closeLastCall(content: string): string {
  const open = content.lastIndexOf('<function=');
  if (open === -1 || /<\/function\s*>/.test(content.slice(open))) return content;
  return `${content.trimEnd().replace(/<\/function\s*$/, '')}\n</function>`;
}
