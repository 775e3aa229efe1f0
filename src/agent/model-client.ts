/**
 * The agent's connection to the model: OpenAI-compatible chat completions
 * (https://platform.openai.com/docs/api-reference/chat/create) through the
 * `openai` SDK, pointed at OPENAI_BASE_URL (a local vLLM server by default,
 * design.md §4).
 *
 * Retries are ours, not the SDK's (`maxRetries: 0`), so that the policy is
 * visible, logged and testable: 429, 5xx, timeouts and connection failures
 * are retried with exponential backoff and jitter, honouring `retry-after`;
 * everything else fails at once with a classified {@link SweBotError}
 * (see model-errors.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI, { APIUserAbortError, type ClientOptions } from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Logger } from '../logger.ts';
import { classifyModelError, redactUrl, type ModelEndpoint } from './model-errors.ts';
import { assembleStream, normalizeCompletion, type AssistantMessage, type FinishReason } from './model-reply.ts';
import { estimatePromptTokens, estimateTokens } from './token-estimate.ts';

export type { AssistantMessage, FinishReason } from './model-reply.ts';

/** Wall-clock limit of one request, ms. Long enough for a few thousand tokens from a 32B model on one GPU. */
export const MODEL_TIMEOUT_MS = 10 * 60_000;
/** Attempts per call, the first included. */
export const MODEL_MAX_ATTEMPTS = 4;
/** First retry waits about this long, ms; each further retry doubles it. */
export const BACKOFF_BASE_MS = 1_000;
/** No computed backoff exceeds this, ms. */
export const BACKOFF_MAX_MS = 30_000;
/** A server's `retry-after` is honoured up to this, ms; longer waits are cut to it. */
export const RETRY_AFTER_CAP_MS = 60_000;
/** Sampling temperature when the caller gives none: deterministic by default; best-of-N raises it. */
export const MODEL_TEMPERATURE = 0;
/** `max_tokens` per reply when the caller gives none. */
export const MODEL_MAX_OUTPUT_TOKENS = 4_096;

export interface ModelClientDeps {
  /** OPENAI_BASE_URL, e.g. `http://127.0.0.1:8000/v1`. */
  baseUrl: string;
  /** OPENAI_API_KEY. Sent as a bearer token; never logged. */
  apiKey: string;
  /** SWE_BOT_MODEL, e.g. `Skywork-SWE-32B`. */
  model: string;
  /** Per-request limit, ms. Default {@link MODEL_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default {@link MODEL_MAX_ATTEMPTS}. */
  maxAttempts?: number;
  /** Default {@link BACKOFF_BASE_MS}. Tests make it tiny. */
  backoffBaseMs?: number;
  /** Default {@link BACKOFF_MAX_MS}. */
  backoffMaxMs?: number;
  /** Default {@link RETRY_AFTER_CAP_MS}. */
  retryAfterCapMs?: number;
  logger: Logger;
  /** A fetch implementation (e.g. undici's, with a longer `headersTimeout`). Default: the global fetch. */
  fetch?: ClientOptions['fetch'];
}

export interface ModelRequest {
  messages: ChatCompletionMessageParam[];
  /** Default {@link MODEL_TEMPERATURE}. */
  temperature?: number;
  /** Default {@link MODEL_MAX_OUTPUT_TOKENS}. */
  maxTokens?: number;
  /** Stop sequences (the text tool format's `</function`). */
  stop?: string[];
  /** Function tools (the native tool format). */
  tools?: ChatCompletionTool[];
  /**
   * Stream the reply and assemble it; the result is the same as without.
   * Worth it for long generations: headers arrive at once, so Node's fetch
   * `headersTimeout` (5 min) cannot fire while the model is still writing.
   */
  stream?: boolean;
  signal?: AbortSignal;
}

export interface ModelUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when the server sent no usage and the counts are our estimates. */
  estimated: boolean;
}

export interface ModelReply {
  message: AssistantMessage;
  finishReason: FinishReason;
  usage: ModelUsage;
  /** From the first attempt to the reply, retries and their waits included, ms. */
  latencyMs: number;
  /** Requests it took (1 when nothing was retried). */
  attempts: number;
}

/** Sums over every successful call of one client. */
export interface UsageTotals {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls whose usage was estimated. */
  estimatedCalls: number;
}

export interface ModelClient {
  readonly model: string;
  readonly baseUrl: string;
  /** One chat completion, retried as described above. Throws a classified SweBotError. */
  complete(request: ModelRequest): Promise<ModelReply>;
  totals(): UsageTotals;
}

export function createModelClient(deps: ModelClientDeps): ModelClient {
  const timeoutMs = deps.timeoutMs ?? MODEL_TIMEOUT_MS;
  const maxAttempts = Math.max(1, deps.maxAttempts ?? MODEL_MAX_ATTEMPTS);
  const backoff = {
    baseMs: deps.backoffBaseMs ?? BACKOFF_BASE_MS,
    maxMs: deps.backoffMaxMs ?? BACKOFF_MAX_MS,
    retryAfterCapMs: deps.retryAfterCapMs ?? RETRY_AFTER_CAP_MS,
  };
  const endpoint: ModelEndpoint = { baseUrl: deps.baseUrl, model: deps.model, timeoutMs, apiKey: deps.apiKey };
  const log = deps.logger.child({ component: 'model', baseUrl: redactUrl(deps.baseUrl), model: deps.model });
  const totals: UsageTotals = { calls: 0, promptTokens: 0, completionTokens: 0, estimatedCalls: 0 };

  const options: ClientOptions = {
    baseURL: deps.baseUrl,
    // The SDK refuses an empty key; local servers accept any value.
    apiKey: deps.apiKey === '' ? 'EMPTY' : deps.apiKey,
    // Never pick up OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment: config is read once, in loadConfig.
    organization: null,
    project: null,
    timeout: timeoutMs,
    maxRetries: 0,
    // The SDK logs to the console; our own log lines below say what matters.
    logLevel: 'off',
  };
  if (deps.fetch !== undefined) options.fetch = deps.fetch;
  const openai = new OpenAI(options);

  async function once(request: ModelRequest): Promise<Omit<ModelReply, 'latencyMs' | 'attempts'>> {
    const params: ChatCompletionCreateParamsNonStreaming = {
      model: deps.model,
      messages: request.messages,
      temperature: request.temperature ?? MODEL_TEMPERATURE,
      max_tokens: request.maxTokens ?? MODEL_MAX_OUTPUT_TOKENS,
    };
    if (request.stop !== undefined && request.stop.length > 0) params.stop = request.stop;
    if (request.tools !== undefined && request.tools.length > 0) params.tools = request.tools;
    const requestOptions = request.signal === undefined ? {} : { signal: request.signal };
    const { message, finishReason, usage } = request.stream
      ? await assembleStream(
          await openai.chat.completions.create(
            { ...params, stream: true, stream_options: { include_usage: true } },
            requestOptions,
          ),
        )
      : normalizeCompletion(await openai.chat.completions.create(params, requestOptions));
    if (usage !== undefined) {
      return {
        message,
        finishReason,
        usage: {
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
          totalTokens: usage.total_tokens || usage.prompt_tokens + usage.completion_tokens,
          estimated: false,
        },
      };
    }
    const promptTokens = estimatePromptTokens(request.messages, request.tools);
    const completionTokens = estimateTokens(
      (message.content ?? '') + (message.tool_calls ?? []).map((call) => JSON.stringify(call.function)).join(''),
    );
    return {
      message,
      finishReason,
      usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, estimated: true },
    };
  }

  async function complete(request: ModelRequest): Promise<ModelReply> {
    const started = performance.now();
    for (let attempt = 1; ; attempt += 1) {
      try {
        const reply = await once(request);
        const latencyMs = Math.round(performance.now() - started);
        totals.calls += 1;
        totals.promptTokens += reply.usage.promptTokens;
        totals.completionTokens += reply.usage.completionTokens;
        if (reply.usage.estimated) totals.estimatedCalls += 1;
        log.debug(
          { attempts: attempt, latencyMs, finishReason: reply.finishReason, ...reply.usage },
          'model reply',
        );
        return { ...reply, latencyMs, attempts: attempt };
      } catch (raw) {
        const failure = classifyModelError(raw, endpoint);
        if (!failure.retryable || attempt >= maxAttempts || request.signal?.aborted === true) {
          log.warn({ attempts: attempt, code: failure.error.code, err: failure.error.message }, 'model request failed');
          throw failure.error;
        }
        const delayMs = backoffDelay(attempt, failure.retryAfterMs, backoff);
        log.warn(
          { attempt, maxAttempts, delayMs, code: failure.error.code, err: failure.error.message },
          'model request failed; retrying',
        );
        try {
          await sleep(delayMs, undefined, request.signal === undefined ? {} : { signal: request.signal });
        } catch {
          throw classifyModelError(new APIUserAbortError(), endpoint).error;
        }
      }
    }
  }

  return {
    model: deps.model,
    baseUrl: deps.baseUrl,
    complete,
    totals: () => ({ ...totals }),
  };
}

/**
 * The wait before retry number `attempt` (1 = after the first failure): the
 * server's `retry-after` when given (capped), else exponential backoff with
 * "equal jitter" (half fixed, half random) so that parallel candidates hitting
 * one server do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  backoff: { baseMs: number; maxMs: number; retryAfterCapMs: number },
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, backoff.retryAfterCapMs);
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}
