/**
 * A scripted OpenAI-compatible model server for tests: it answers
 * `POST /v1/chat/completions` with the replies it was given, in order, and
 * records every request. No GPU, no network: it listens on 127.0.0.1 at a
 * free port.
 *
 * ```ts
 * const model = await startScriptedModel({
 *   replies: [
 *     'Let me look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n</function>',
 *     { toolCalls: [{ name: 'finish', arguments: { message: 'done' } }] },
 *     { status: 400, message: "This model's maximum context length is 32768 tokens." },
 *   ],
 * });
 * const client = createModelClient({ baseUrl: model.url, apiKey: 'k', model: 'm', logger });
 * ...
 * expect(model.requests[0]?.body.messages).toHaveLength(2);
 * await model.close();
 * ```
 *
 * Like vLLM it honours `stop` (the reply is cut before the first stop string,
 * which is left out), streams Server-Sent Events when `stream: true`
 * (`data: {chunk}\n\n` … `data: [DONE]\n\n`, a usage chunk last when
 * `stream_options.include_usage` is set) and reports usage unless told not to.
 * Formats: https://platform.openai.com/docs/api-reference/chat
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatCompletionCreateParams } from 'openai/resources/chat/completions';

export interface ScriptedToolCall {
  /** Default `call_<request>_<index>`. */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent as is (so tests can send broken JSON). */
  arguments: string | Record<string, unknown>;
}

/** A successful reply. */
export interface ScriptedMessage {
  content?: string | null;
  toolCalls?: ScriptedToolCall[];
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Counts to report; `null` sends no usage at all. Default: chars / 4 of prompt and reply. */
  usage?: { promptTokens: number; completionTokens: number } | null;
}

/** An error reply, in vLLM's error shape. */
export interface ScriptedError {
  status: number;
  message?: string;
  headers?: Record<string, string>;
}

/** A string is shorthand for `{ content }`; a function computes the reply from the request. */
export type ScriptedReply =
  | string
  | ScriptedMessage
  | ScriptedError
  | ((request: RecordedRequest) => string | ScriptedMessage | ScriptedError);

export interface RecordedRequest {
  /** The parsed JSON body: model, messages, stop, tools, stream, temperature, max_tokens, … */
  body: ChatCompletionCreateParams;
  headers: http.IncomingHttpHeaders;
}

export interface ScriptedModel {
  /** The base URL to use as OPENAI_BASE_URL, ending in `/v1`. */
  url: string;
  /** Every chat-completions request received, failed ones included, in order. */
  requests: RecordedRequest[];
  /** The next `times` requests get `status` (default 500) instead of a reply; the script does not advance. */
  fail(times: number, status?: number, options?: { message?: string; headers?: Record<string, string> }): void;
  /** Scripted replies not yet served. */
  remaining(): number;
  close(): Promise<void>;
}

export interface ScriptedModelOptions {
  replies: ScriptedReply[];
  /** The name `/v1/models` lists. Default `scripted-model`. */
  model?: string;
}

export async function startScriptedModel(options: ScriptedModelOptions): Promise<ScriptedModel> {
  const script = [...options.replies];
  const requests: RecordedRequest[] = [];
  const failures: ScriptedError[] = [];
  const modelName = options.model ?? 'scripted-model';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        sendJson(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', owned_by: 'scripted' }] });
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        sendError(res, { status: 404, message: `scripted model: no route ${req.method ?? ''} ${req.url ?? ''}` });
        return;
      }
      let body: ChatCompletionCreateParams;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatCompletionCreateParams;
      } catch {
        sendError(res, { status: 400, message: 'scripted model: the body is not JSON' });
        return;
      }
      const request: RecordedRequest = { body, headers: req.headers };
      requests.push(request);
      const failure = failures.shift();
      if (failure !== undefined) {
        sendError(res, failure);
        return;
      }
      const next = script.shift();
      if (next === undefined) {
        sendError(res, { status: 400, message: `scripted model: no scripted reply left for request #${requests.length}` });
        return;
      }
      const reply = typeof next === 'function' ? next(request) : next;
      if (typeof reply === 'object' && 'status' in reply) sendError(res, reply);
      else answer(res, body, typeof reply === 'string' ? { content: reply } : reply, requests.length);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    fail(times, status = 500, extra = {}) {
      for (let i = 0; i < times; i += 1) failures.push({ status, ...extra });
    },
    remaining: () => script.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function answer(res: http.ServerResponse, body: ChatCompletionCreateParams, reply: ScriptedMessage, serial: number): void {
  let content = reply.content ?? null;
  let finishReason = reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop');
  const stops = body.stop === undefined || body.stop === null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (content !== null) {
    const cut = Math.min(...stops.map((stop) => content?.indexOf(stop) ?? -1).filter((at) => at >= 0));
    if (Number.isFinite(cut)) {
      content = content.slice(0, cut);
      finishReason = 'stop';
    }
  }
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
    id: call.id ?? `call_${serial}_${index}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
  const usage =
    reply.usage === null
      ? undefined
      : reply.usage !== undefined
        ? tokens(reply.usage.promptTokens, reply.usage.completionTokens)
        : tokens(
            Math.ceil(JSON.stringify(body.messages).length / 4),
            Math.ceil(((content ?? '').length + JSON.stringify(toolCalls).length) / 4),
          );
  const base = { id: `chatcmpl-scripted-${serial}`, created: Math.floor(Date.now() / 1000), model: body.model };

  if (body.stream !== true) {
    const message = { role: 'assistant', content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
    sendJson(res, 200, {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      ...(usage === undefined ? {} : { usage }),
    });
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (delta: object, finish: string | null = null): void => {
    const chunk = { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  send({ role: 'assistant', content: '' });
  // A few pieces, so clients really have to join them.
  for (const piece of split(content ?? '', 3)) send({ content: piece });
  toolCalls.forEach((call, index) => {
    send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
    for (const piece of split(call.function.arguments, 2)) send({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  send({}, finishReason);
  const streamOptions = (body as { stream_options?: { include_usage?: boolean } }).stream_options;
  if (usage !== undefined && streamOptions?.include_usage === true) {
    res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

function tokens(prompt: number, completion: number): object {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function split(text: string, parts: number): string[] {
  if (text === '') return [];
  const size = Math.ceil(text.length / parts);
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

function sendError(res: http.ServerResponse, error: ScriptedError): void {
  const message = error.message ?? `scripted failure (${error.status})`;
  sendJson(res, error.status, { object: 'error', message, type: 'BadRequestError', param: null, code: error.status }, error.headers);
}

function sendJson(res: http.ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(payload));
}
