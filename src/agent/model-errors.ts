/**
 * Where model errors enter swe-bot: every failure of a chat-completions call
 * is turned into a {@link SweBotError} here, with a message that names the
 * setting to fix (OPENAI_BASE_URL, OPENAI_API_KEY, SWE_BOT_MODEL) and a flag
 * saying whether the request is worth repeating.
 *
 * Status codes follow the OpenAI error table
 * (https://platform.openai.com/docs/guides/error-codes) and what vLLM, SGLang
 * and llama.cpp's server answer in the same situations.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { SweBotError, describeError } from '../errors.ts';

/** Codes of the errors this module produces. `context_overflow` is the one the agent loop handles itself. */
export type ModelErrorCode =
  | 'model_unreachable'
  | 'model_timeout'
  | 'model_rate_limited'
  | 'model_server_error'
  | 'model_auth'
  | 'model_not_found'
  | 'context_overflow'
  | 'model_bad_request'
  | 'model_bad_response'
  | 'model_aborted'
  | 'model_failed';

/** A classified failure: the error to throw if we stop, and whether to try again. */
export interface ModelFailure {
  error: SweBotError;
  retryable: boolean;
  /** The wait the server asked for (`retry-after-ms` / `retry-after`), when it did. */
  retryAfterMs?: number;
}

/** What the messages need to say where the request went. */
export interface ModelEndpoint {
  baseUrl: string;
  model: string;
  timeoutMs: number;
  /** Scrubbed from every message: some servers echo (part of) a rejected key. */
  apiKey: string;
}

/**
 * Phrases servers use when prompt + max_tokens exceed the context window.
 * OpenAI: code `context_length_exceeded`; vLLM: "maximum context length is N
 * tokens" / "longer than the maximum model length"; SGLang and llama.cpp:
 * "exceeds the context" / "context size".
 */
const CONTEXT_OVERFLOW = new RegExp(
  [
    'context[_ ]length',
    'maximum context',
    'context window',
    'context size',
    "exceeds? the (?:model'?s? )?(?:maximum )?context",
    'maximum model length',
    'prompt is too long',
    'too many tokens',
  ].join('|'),
  'i',
);

/** Thrown by the client itself when a 200 reply has no usable choice. */
export class BadModelResponseError extends Error {}

export function classifyModelError(error: unknown, endpoint: ModelEndpoint): ModelFailure {
  const failure = classify(error, endpoint);
  const key = endpoint.apiKey;
  if (key.length < 8 || !failure.error.message.includes(key)) return failure;
  const scrubbed = new SweBotError(failure.error.message.replaceAll(key, '[redacted]'), {
    kind: failure.error.kind,
    code: failure.error.code,
    ...(failure.error.hint === undefined ? {} : { hint: failure.error.hint }),
  });
  return { ...failure, error: scrubbed };
}

function classify(error: unknown, endpoint: ModelEndpoint): ModelFailure {
  const where = `OPENAI_BASE_URL=${redactUrl(endpoint.baseUrl)}`;
  if (error instanceof SweBotError) return { error, retryable: error.transient };
  if (error instanceof APIUserAbortError) {
    return fail('The model request was cancelled.', 'model_aborted', 'permanent', error, false);
  }
  if (error instanceof APIConnectionTimeoutError) {
    return fail(
      `The model endpoint ${where} did not answer within ${seconds(endpoint.timeoutMs)}`,
      'model_timeout',
      'transient',
      error,
      true,
      'The server may be overloaded or still loading the model; long generations are safer with streaming.',
    );
  }
  if (error instanceof APIConnectionError) {
    return fail(
      `Cannot reach the model endpoint ${where}: ${rootCause(error)}`,
      'model_unreachable',
      'transient',
      error,
      true,
      'Start the model server (e.g. vLLM) or point OPENAI_BASE_URL at a running OpenAI-compatible endpoint.',
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    return classifyStatus(error as APIError, error.status, where, endpoint.model);
  }
  if (error instanceof BadModelResponseError) {
    return fail(`The model endpoint ${where} sent an unusable reply: ${error.message}`, 'model_bad_response', 'transient', error, true);
  }
  return fail(`The model request to ${where} failed: ${describeError(error)}`, 'model_failed', 'permanent', error, false);
}

function classifyStatus(error: APIError, status: number, where: string, model: string): ModelFailure {
  const detail = error.message;
  if (status === 429) {
    return withRetryAfter(
      fail(`The model endpoint ${where} is rate limiting requests: ${detail}`, 'model_rate_limited', 'transient', error, true),
      error.headers,
    );
  }
  if (status >= 500 || status === 408 || status === 409) {
    return withRetryAfter(
      fail(`The model endpoint ${where} failed: ${detail}`, 'model_server_error', 'transient', error, true),
      error.headers,
    );
  }
  if (status === 401 || status === 403) {
    return fail(
      `The model endpoint ${where} refused the key in OPENAI_API_KEY (${detail}).`,
      'model_auth',
      'permanent',
      error,
      false,
      'Set OPENAI_API_KEY to a key the endpoint accepts (a local vLLM server without --api-key accepts any value).',
    );
  }
  if (status === 404) {
    return fail(
      `The model endpoint ${where} does not serve SWE_BOT_MODEL=${model} (${detail}).`,
      'model_not_found',
      'permanent',
      error,
      false,
      'Set SWE_BOT_MODEL to a model the server lists at /v1/models, and check that OPENAI_BASE_URL ends in /v1.',
    );
  }
  if ((status === 400 || status === 413 || status === 422) && (error.code === 'context_length_exceeded' || CONTEXT_OVERFLOW.test(detail))) {
    return fail(`The conversation no longer fits the model's context window: ${detail}`, 'context_overflow', 'permanent', error, false);
  }
  return fail(`The model endpoint ${where} rejected the request: ${detail}`, 'model_bad_request', 'permanent', error, false);
}

function fail(
  message: string,
  code: ModelErrorCode,
  kind: 'transient' | 'permanent',
  cause: unknown,
  retryable: boolean,
  hint?: string,
): ModelFailure {
  const options = hint === undefined ? { kind, code, cause } : { kind, code, cause, hint };
  return { error: new SweBotError(message, options), retryable };
}

/**
 * The server's requested wait. `retry-after-ms` is the OpenAI SDK's
 * millisecond extension; `retry-after` is seconds or an HTTP date (RFC 9110 §10.2.3).
 */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms !== null && ms !== undefined && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = headers?.get('retry-after');
  if (after === null || after === undefined || after.trim() === '') return undefined;
  if (Number.isFinite(Number(after))) return Math.max(0, Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function withRetryAfter(failure: ModelFailure, headers: Headers | undefined): ModelFailure {
  const wait = retryAfterMs(headers);
  return wait === undefined ? failure : { ...failure, retryAfterMs: wait };
}

/**
 * The innermost message of a connection error: fetch wraps the socket error
 * (`connect ECONNREFUSED 127.0.0.1:8000`) in "fetch failed", which the SDK
 * wraps in "Connection error.". Happy-eyeballs failures are AggregateErrors
 * with an empty message and the reason in `code`.
 */
export function rootCause(error: unknown): string {
  let current: unknown = error;
  let best = describeError(error);
  for (let depth = 0; depth < 8 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (current.message !== '') best = current.message;
    else if (typeof code === 'string') best = code;
    if (current instanceof AggregateError && current.errors[0] instanceof Error) current = current.errors[0];
    else current = current.cause;
  }
  return best;
}

function seconds(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 1_000)} s`;
}

/** The URL without user name or password, so credentials in it never reach messages or logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}
