/**
 * One shape for a model reply, whether it came whole or streamed: the
 * assistant message as it goes back into the conversation, the finish reason
 * and the server's usage when it sent one.
 *
 * Response and chunk formats:
 * https://platform.openai.com/docs/api-reference/chat/object and
 * https://platform.openai.com/docs/api-reference/chat/streaming
 */
import { APIConnectionError, APIError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionMessageFunctionToolCall,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import { BadModelResponseError } from './model-errors.ts';

/** The assistant's reply, ready to append to the messages of the next request. */
export interface AssistantMessage {
  role: 'assistant';
  /** The text; null when there is none (servers differ between `""` and null, so `""` becomes null). */
  content: string | null;
  /** Function calls (native tool format); absent when there are none. */
  tool_calls?: ChatCompletionMessageFunctionToolCall[];
}

/** Why generation stopped: `length` means `max_tokens` cut the reply. Null if the server did not say. */
export type FinishReason = ChatCompletion.Choice['finish_reason'] | null;

export interface RawReply {
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: CompletionUsage | undefined;
}

export function normalizeCompletion(completion: ChatCompletion): RawReply {
  const choice = completion.choices[0];
  if (choice === undefined) throw new BadModelResponseError('the reply has no choices');
  const calls = (choice.message.tool_calls ?? []).filter(
    (call): call is ChatCompletionMessageFunctionToolCall => call.type === 'function',
  );
  return {
    message: assistantMessage(choice.message.content, calls),
    finishReason: choice.finish_reason ?? null,
    usage: validUsage(completion.usage),
  };
}

/**
 * Joins the deltas of a stream: content pieces in order, tool calls by their
 * `index` (the first delta of a call carries its id and name, later ones
 * pieces of the arguments). Usage comes in the last chunk when
 * `stream_options.include_usage` was honoured.
 */
export async function assembleStream(stream: AsyncIterable<ChatCompletionChunk>): Promise<RawReply> {
  let content = '';
  let finishReason: FinishReason = null;
  let usage: CompletionUsage | undefined;
  let sawChoice = false;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  for await (const chunk of interruptible(stream)) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices.find((c) => c.index === 0);
    if (choice === undefined) continue;
    sawChoice = true;
    const delta = choice.delta;
    if (typeof delta.content === 'string') content += delta.content;
    for (const piece of delta.tool_calls ?? []) {
      const call = calls.get(piece.index) ?? { id: '', name: '', arguments: '' };
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      if (piece.function?.arguments) call.arguments += piece.function.arguments;
      calls.set(piece.index, call);
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  if (!sawChoice) throw new BadModelResponseError('the stream ended without a choice');
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]): ChatCompletionMessageFunctionToolCall => ({
      id: call.id || `call_${index}`,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  return { message: assistantMessage(content, toolCalls), finishReason, usage: validUsage(usage) };
}

/**
 * A connection dropped mid-stream surfaces from fetch as a bare
 * `TypeError: terminated`; it is a connection failure like any other, so it
 * is reported as one (and retried).
 */
async function* interruptible<T>(stream: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (error) {
    if (error instanceof APIError) throw error;
    throw new APIConnectionError({
      message: 'The reply stream was cut off.',
      ...(error instanceof Error ? { cause: error } : {}),
    });
  }
}

function assistantMessage(content: string | null, calls: ChatCompletionMessageFunctionToolCall[]): AssistantMessage {
  const message: AssistantMessage = { role: 'assistant', content: content === '' ? null : content };
  if (calls.length > 0) {
    message.tool_calls = calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: call.function.arguments },
    }));
  }
  return message;
}

/** Usage is trusted only when it has the two counts; some servers send `usage: null` or zeros. */
function validUsage(usage: CompletionUsage | null | undefined): CompletionUsage | undefined {
  if (!usage || typeof usage.prompt_tokens !== 'number' || typeof usage.completion_tokens !== 'number') return undefined;
  if (usage.prompt_tokens === 0 && usage.completion_tokens === 0) return undefined;
  return usage;
}
