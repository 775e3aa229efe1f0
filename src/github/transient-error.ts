/**
 * GitHub errors worth retrying later: a rate limit that lasts longer than a
 * job should wait inline, or a server error that outlasted our retries. The
 * queue sees `kind: 'transient'` (src/errors.ts) and retries the job with
 * backoff; `retryAfterMs`, when known, says how long waiting is pointless.
 */
import { SweBotError } from '../errors.ts';

export type GitHubTransientCode = 'github_rate_limited' | 'github_unavailable';

export class GitHubTransientError extends SweBotError {
  /** HTTP status of the last answer (500 for a network failure, as @octokit/request reports it). */
  readonly status: number;
  /** How long GitHub asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { code: GitHubTransientCode; status: number; retryAfterMs?: number; cause?: unknown }) {
    super(message, {
      kind: 'transient',
      code: options.code,
      hint: options.code === 'github_rate_limited' ? 'The job is retried once the rate limit resets.' : 'GitHub is having trouble; the job is retried later.',
      cause: options.cause,
    });
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The fields of an @octokit/request `RequestError` we look at, read without trusting the shape. */
export interface RequestErrorLike {
  status: number;
  message: string;
  headers: Record<string, string | undefined>;
  data: unknown;
}

/** `error` as a request error, or undefined when it is something else (a bug, an abort). */
export function asRequestError(error: unknown): RequestErrorLike | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error) || typeof error.status !== 'number') return undefined;
  const response = 'response' in error && typeof error.response === 'object' && error.response !== null ? error.response : undefined;
  const headers = response && 'headers' in response && typeof response.headers === 'object' && response.headers !== null
    ? (response.headers as Record<string, string | undefined>)
    : {};
  const data = response && 'data' in response ? response.data : undefined;
  const message = error instanceof Error ? error.message : '';
  return { status: error.status, message, headers, data };
}
