import http from 'node:http';
import type net from 'node:net';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { nativeFormat, textFormat } from '../../src/agent/formats/index.ts';
import { backoffDelay, createModelClient, type ModelClientDeps } from '../../src/agent/model-client.ts';
import { retryAfterMs } from '../../src/agent/model-errors.ts';
import type { ToolSpec } from '../../src/agent/tool-spec.ts';
import { SweBotError } from '../../src/errors.ts';
import { closedPort } from '../helpers/ports.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';

const BASE = 'http://127.0.0.1:8000';
const API_KEY = 'sk-test-DO-NOT-LOG-4f3a9c1e';
const MESSAGES = [
  { role: 'system' as const, content: 'You fix bugs.' },
  { role: 'user' as const, content: 'Fix the failing test.' },
];
const SPECS: ToolSpec[] = [
  {
    name: 'execute_bash',
    description: 'Run a command.',
    parameters: { command: { type: 'string', description: 'The command.' } },
    required: ['command'],
  },
];

function completion(content: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'Skywork-SWE-32B',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
    ...extra,
  };
}

/** A client whose log lines land in `logs`, with tiny backoff. */
function client(overrides: Partial<ModelClientDeps> = {}) {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
  const model = createModelClient({
    baseUrl: `${BASE}/v1`,
    apiKey: API_KEY,
    model: 'Skywork-SWE-32B',
    logger,
    backoffBaseMs: 1,
    backoffMaxMs: 5,
    ...overrides,
  });
  return { model, logs };
}

async function rejection(promise: Promise<unknown>): Promise<SweBotError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SweBotError);
  return error as SweBotError;
}

// Strict like the GitHub mock: an interception a test declared and the
// client never used fails that test.
afterEach(() => {
  const unused = nock.pendingMocks();
  nock.cleanAll();
  expect(unused, 'declared interceptions the test did not use').toEqual([]);
});

afterAll(() => {
  // Hand the real http/fetch back to whatever runs next in this worker.
  nock.restore();
});

describe('model client over nock', () => {
  it('sends model, messages, temperature, max_tokens and stop, with the key only in Authorization', async () => {
    let body: Record<string, unknown> = {};
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${API_KEY}` } })
      .post('/v1/chat/completions', (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(200, completion('Let me look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n'));
    const { model, logs } = client();
    const reply = await model.complete({ messages: MESSAGES, ...textFormat.requestOptions(SPECS) });
    expect(scope.isDone()).toBe(true);
    expect(body).toEqual({
      model: 'Skywork-SWE-32B',
      messages: MESSAGES,
      temperature: 0,
      max_tokens: 4096,
      stop: ['</function'],
    });
    expect(reply.message).toEqual({
      role: 'assistant',
      content: 'Let me look.\n<function=execute_bash>\n<parameter=command>ls</parameter>\n',
    });
    expect(reply.finishReason).toBe('stop');
    expect(reply.usage).toEqual({ promptTokens: 120, completionTokens: 30, totalTokens: 150, estimated: false });
    expect(reply.attempts).toBe(1);
    expect(reply.latencyMs).toBeGreaterThanOrEqual(0);
    expect(model.totals()).toEqual({ calls: 1, promptTokens: 120, completionTokens: 30, estimatedCalls: 0 });
    expect(logs.join('')).toContain('"promptTokens":120');
    expect(logs.join('')).not.toContain(API_KEY);
  });

  it('sends tools for the native format and returns the tool calls', async () => {
    let body: Record<string, unknown> = {};
    nock(BASE)
      .post('/v1/chat/completions', (b: Record<string, unknown>) => {
        body = b;
        return true;
      })
      .reply(200, {
        ...completion(null),
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            message: {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'execute_bash', arguments: '{"command":"ls"}' } }],
            },
          },
        ],
      });
    const { model } = client();
    const reply = await model.complete({ messages: MESSAGES, temperature: 0.7, maxTokens: 512, ...nativeFormat.requestOptions(SPECS) });
    expect(body['tools']).toEqual(nativeFormat.requestOptions(SPECS).tools);
    expect(body['stop']).toBeUndefined();
    expect(body['temperature']).toBe(0.7);
    expect(body['max_tokens']).toBe(512);
    expect(reply.finishReason).toBe('tool_calls');
    expect(nativeFormat.parse(reply.message).calls).toEqual([{ id: 'call_9', name: 'execute_bash', arguments: { command: 'ls' } }]);
  });

  it('estimates usage when the server sends none', async () => {
    nock(BASE).post('/v1/chat/completions').reply(200, completion('x'.repeat(70), { usage: null }));
    const { model } = client();
    const reply = await model.complete({ messages: MESSAGES });
    expect(reply.usage.estimated).toBe(true);
    expect(reply.usage.completionTokens).toBe(20);
    expect(reply.usage.promptTokens).toBeGreaterThan(8);
    expect(model.totals().estimatedCalls).toBe(1);
  });

  it('retries 500 twice and succeeds, honouring retry-after-ms', async () => {
    let seen = 0;
    const count = () => {
      seen += 1;
      return true;
    };
    nock(BASE)
      .post('/v1/chat/completions', count)
      .times(2)
      .reply(500, { object: 'error', message: 'CUDA out of memory', code: 500 }, { 'retry-after-ms': '0' })
      .post('/v1/chat/completions', count)
      .reply(200, completion('ok'));
    // A backoff of a minute proves the server's wait was used instead.
    const { model, logs } = client({ backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    const started = Date.now();
    const reply = await model.complete({ messages: MESSAGES });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toBe(3);
    expect(reply.attempts).toBe(3);
    expect(reply.message.content).toBe('ok');
    const retries = logs.filter((line) => line.includes('retrying'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('"delayMs":0');
    expect(retries[0]).toContain('CUDA out of memory');
  });

  it('retries 429 after retry-after seconds, capped', async () => {
    nock(BASE)
      .post('/v1/chat/completions')
      .reply(429, { error: { message: 'Rate limit reached', type: 'requests' } }, { 'retry-after': '0' })
      .post('/v1/chat/completions')
      .reply(429, { error: { message: 'Rate limit reached', type: 'requests' } }, { 'retry-after': '3600' })
      .post('/v1/chat/completions')
      .reply(200, completion('ok'));
    const { model, logs } = client({ retryAfterCapMs: 10, backoffBaseMs: 60_000, backoffMaxMs: 60_000 });
    const reply = await model.complete({ messages: MESSAGES });
    expect(reply.attempts).toBe(3);
    const delays = logs.filter((l) => l.includes('retrying')).map((l) => (JSON.parse(l) as { delayMs: number }).delayMs);
    expect(delays).toEqual([0, 10]);
  });

  it('gives up after the attempts with a transient error', async () => {
    const scope = nock(BASE).post('/v1/chat/completions').times(3).reply(503, { object: 'error', message: 'overloaded' });
    const { model } = client({ maxAttempts: 3 });
    const error = await rejection(model.complete({ messages: MESSAGES }));
    expect(scope.isDone()).toBe(true);
    expect(error.kind).toBe('transient');
    expect(error.code).toBe('model_server_error');
    expect(error.message).toContain(`OPENAI_BASE_URL=${BASE}/v1`);
    expect(error.message).toContain('overloaded');
  });

  it('names OPENAI_BASE_URL and the URL when nothing listens', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}/v1`;
    const { model, logs } = client({ baseUrl: url, maxAttempts: 3 });
    const error = await rejection(model.complete({ messages: MESSAGES }));
    expect(error.kind).toBe('transient');
    expect(error.code).toBe('model_unreachable');
    expect(error.message).toBe(`Cannot reach the model endpoint OPENAI_BASE_URL=${url}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(error.hint).toMatch(/OPENAI_BASE_URL/);
    expect(logs.filter((l) => l.includes('retrying'))).toHaveLength(2);
  });

  it('times out slow requests and retries them', async () => {
    // A real server that never answers (nock's delay trips an undici assertion on abort).
    let received = 0;
    const silent = http.createServer(() => {
      received += 1;
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const { model } = client({ baseUrl: `http://127.0.0.1:${port}/v1`, timeoutMs: 100, maxAttempts: 2 });
      const error = await rejection(model.complete({ messages: MESSAGES }));
      expect(error.code).toBe('model_timeout');
      expect(error.kind).toBe('transient');
      expect(error.message).toBe(`The model endpoint OPENAI_BASE_URL=http://127.0.0.1:${port}/v1 did not answer within 100 ms`);
      expect(received).toBe(2);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('retries a stream cut off mid-reply', async () => {
    let served = 0;
    const flaky = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        served += 1;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const chunk = (delta: object, finish: string | null = null) =>
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        res.write(chunk({ role: 'assistant', content: 'Hel' }));
        if (served === 1) {
          setTimeout(() => res.destroy(), 20);
          return;
        }
        res.end(chunk({ content: 'lo' }, 'stop') + 'data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const { port } = flaky.address() as net.AddressInfo;
    try {
      const { model, logs } = client({ baseUrl: `http://127.0.0.1:${port}/v1` });
      const reply = await model.complete({ messages: MESSAGES, stream: true });
      expect(reply.message.content).toBe('Hello');
      expect(reply.attempts).toBe(2);
      expect(reply.usage.estimated).toBe(true);
      expect(logs.find((l) => l.includes('retrying'))).toContain('model_unreachable');
    } finally {
      flaky.closeAllConnections();
      await new Promise<void>((resolve) => flaky.close(() => resolve()));
    }
  });

  it('fails at once on 401 naming OPENAI_API_KEY, without echoing the key', async () => {
    const scope = nock(BASE)
      .post('/v1/chat/completions')
      .reply(401, { error: { message: `Incorrect API key provided: ${API_KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } });
    const { model, logs } = client();
    const error = await rejection(model.complete({ messages: MESSAGES }));
    expect(scope.isDone()).toBe(true);
    expect(error.kind).toBe('permanent');
    expect(error.code).toBe('model_auth');
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(error.message).not.toContain(API_KEY);
    expect(logs.join('')).not.toContain(API_KEY);
    expect(logs.join('')).toContain('model_auth');
  });

  it('maps a context-length 400 to context_overflow', async () => {
    const message =
      "This model's maximum context length is 32768 tokens. However, you requested 35000 tokens (30904 in the messages, 4096 in the completion).";
    nock(BASE).post('/v1/chat/completions').reply(400, { object: 'error', message, type: 'BadRequestError', param: null, code: 400 });
    const { model } = client();
    const error = await rejection(model.complete({ messages: MESSAGES }));
    expect(error.code).toBe('context_overflow');
    expect(error.kind).toBe('permanent');
    expect(error.message).toContain('maximum context length is 32768');
  });

  it('maps other 400s to model_bad_request and 404 to model_not_found naming SWE_BOT_MODEL', async () => {
    nock(BASE)
      .post('/v1/chat/completions')
      .reply(400, { object: 'error', message: 'temperature must be non-negative' })
      .post('/v1/chat/completions')
      .reply(404, { object: 'error', message: 'The model `Skywork-SWE-32B` does not exist.', code: 404 });
    const { model } = client();
    const bad = await rejection(model.complete({ messages: MESSAGES }));
    expect(bad.code).toBe('model_bad_request');
    const missing = await rejection(model.complete({ messages: MESSAGES }));
    expect(missing.code).toBe('model_not_found');
    expect(missing.kind).toBe('permanent');
    expect(missing.message).toContain('SWE_BOT_MODEL=Skywork-SWE-32B');
  });
});

describe('retry timing', () => {
  it('backs off exponentially with jitter, and honours retry-after headers', () => {
    const backoff = { baseMs: 1_000, maxMs: 30_000, retryAfterCapMs: 60_000 };
    expect(backoffDelay(1, undefined, backoff, () => 0)).toBe(500);
    expect(backoffDelay(1, undefined, backoff, () => 1)).toBe(1_000);
    expect(backoffDelay(3, undefined, backoff, () => 1)).toBe(4_000);
    expect(backoffDelay(10, undefined, backoff, () => 1)).toBe(30_000);
    expect(backoffDelay(1, 120_000, backoff)).toBe(60_000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2_000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

describe('model client against the scripted server', () => {
  let server: ScriptedModel | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('gives the same result streamed and not, retries scripted failures and records requests', async () => {
    const textReply = 'I will list files.\n<function=execute_bash>\n<parameter=command>\nls -la\n</parameter>\n</function>';
    const toolReply = {
      content: 'Done.',
      toolCalls: [{ id: 'call_fin', name: 'finish', arguments: { message: 'fixed "parse"', task_completed: true } }],
    };
    server = await startScriptedModel({ replies: [textReply, textReply, toolReply, toolReply] });
    const { model, logs } = client({ baseUrl: server.url });
    const text = textFormat.requestOptions(SPECS);

    server.fail(2, 503);
    const plain = await model.complete({ messages: MESSAGES, ...text });
    expect(plain.attempts).toBe(3);
    const streamed = await model.complete({ messages: MESSAGES, ...text, stream: true });
    expect(streamed.message).toEqual(plain.message);
    expect(streamed.finishReason).toBe(plain.finishReason);
    expect(streamed.usage).toEqual(plain.usage);
    // The server cut the reply at the stop word, as vLLM does.
    expect(plain.message.content).toBe('I will list files.\n<function=execute_bash>\n<parameter=command>\nls -la\n</parameter>\n');
    expect(textFormat.parse(plain.message).calls[0]?.arguments).toEqual({ command: 'ls -la' });

    const native = nativeFormat.requestOptions(SPECS);
    const calls = await model.complete({ messages: MESSAGES, ...native });
    const callsStreamed = await model.complete({ messages: MESSAGES, ...native, stream: true });
    expect(callsStreamed.message).toEqual(calls.message);
    expect(calls.finishReason).toBe('tool_calls');
    expect(callsStreamed.finishReason).toBe('tool_calls');
    expect(calls.usage.estimated).toBe(false);
    expect(nativeFormat.parse(callsStreamed.message)).toEqual({
      thought: 'Done.',
      calls: [{ id: 'call_fin', name: 'finish', arguments: { message: 'fixed "parse"', task_completed: true } }],
    });

    expect(server.requests).toHaveLength(6);
    expect(server.remaining()).toBe(0);
    const last = server.requests[5];
    expect(last?.body.stream).toBe(true);
    expect(last?.body.tools).toEqual(native.tools);
    expect(last?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(server.requests[0]?.body.stop).toEqual(['</function']);
    expect(model.totals().calls).toBe(4);
    expect(logs.join('')).not.toContain(API_KEY);

    // Script exhausted: a clear, permanent error rather than a hang.
    const error = await rejection(model.complete({ messages: MESSAGES }));
    expect(error.code).toBe('model_bad_request');
    expect(error.message).toContain('no scripted reply left');
  });

  it('serves scripted errors, computed replies and replies without usage', async () => {
    server = await startScriptedModel({
      replies: [
        { status: 400, message: "This model's maximum context length is 32768 tokens." },
        (request) => `You sent ${request.body.messages.length} messages.`,
        { content: 'no usage here', usage: null },
      ],
    });
    const { model } = client({ baseUrl: server.url });
    const overflow = await rejection(model.complete({ messages: MESSAGES }));
    expect(overflow.code).toBe('context_overflow');
    expect((await model.complete({ messages: MESSAGES, stream: true })).message.content).toBe('You sent 2 messages.');
    const noUsage = await model.complete({ messages: MESSAGES, stream: true });
    expect(noUsage.message.content).toBe('no usage here');
    expect(noUsage.usage.estimated).toBe(true);
  });
});
