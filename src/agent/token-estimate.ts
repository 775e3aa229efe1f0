/**
 * Rough token counts for when the server does not report usage (some
 * OpenAI-compatible servers omit `usage`, and streamed replies only carry it
 * when `stream_options.include_usage` is honoured) and for context budgets
 * before a request is sent. We have no tokenizer for every model, so this
 * errs on the high side: a budget that overestimates condenses a little early,
 * one that underestimates overflows the context.
 */
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

/** Characters per token assumed for text and code. Real tokenizers give ~3.5–4.5 for English and code. */
export const CHARS_PER_TOKEN = 3.5;

/** Tokens a chat template adds around each message (role markers, separators). */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Estimated tokens of a piece of text. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Estimated prompt tokens of a request: every message's text and tool calls, plus the tool definitions. */
export function estimatePromptTokens(
  messages: readonly ChatCompletionMessageParam[],
  tools: readonly ChatCompletionTool[] = [],
): number {
  let total = 0;
  for (const message of messages) {
    total += MESSAGE_OVERHEAD_TOKENS + estimateTokens(messageText(message));
  }
  if (tools.length > 0) total += estimateTokens(JSON.stringify(tools));
  return total;
}

/** The text of a message as the model sees it: content parts joined, tool calls as their JSON. */
export function messageText(message: ChatCompletionMessageParam): string {
  const parts: string[] = [];
  const content = message.content;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) if ('text' in part) parts.push(part.text);
  }
  if (message.role === 'assistant' && message.tool_calls) {
    for (const call of message.tool_calls) parts.push(JSON.stringify(call));
  }
  return parts.join('\n');
}
