/**
 * Rate limits per installation (design.md §5): requests of one installation
 * run one at a time, mutating requests are spaced, and rate-limit answers are
 * waited out, all in one `request` hook wrapped around an Octokit instance
 * (https://github.com/octokit/core.js#hooks).
 *
 * GitHub's guidance, which this follows:
 * - "Avoid concurrent requests": queue requests for one installation
 *   (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#avoid-concurrent-requests);
 * - "Pause between mutative requests": at least one second between POST,
 *   PATCH, PUT and DELETE
 *   (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests);
 * - after a rate-limit error, wait `retry-after` seconds when given, else
 *   until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else at
 *   least a minute, longer on each repeat
 *   (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#handling-rate-limit-errors).
 *
 * How this coexists with Probot's Octokit. ProbotOctokit carries
 * @octokit/plugin-throttling and @octokit/plugin-retry:
 * - its throttling spaces writes 1 s apart in one queue for the whole process
 *   (not per installation), and Probot's own handler gives up on secondary
 *   rate limits (`onSecondaryRateLimit` logs and returns nothing);
 * - plugin-retry retries 5xx and 429 three times (1 s, 4 s, 9 s), ignoring
 *   `retry-after`.
 * Layering our limits on top would wait twice and retry up to 4 × 4 times,
 * so swe-bot owns the limits here and turns both plugins off: give Probot
 * `Octokit: AppOctokit` (./app-octokit.ts). Passing `throttle: { enabled:
 * false }` through `ProbotOctokit.defaults({...})` does not work, because
 * Probot passes its own throttle options when it builds installation
 * clients; a defaults *function* runs after them (test/github/rate-limit.test.ts
 * proves both). A client that still has plugin-retry on should get
 * `maxRetries: 0` here for server errors to be retried only once over.
 *
 * Requests made while a request of the same key is in flight, from inside
 * it, skip the queue: @octokit/auth-app fetches an installation token through
 * the client's own hooked `request` when the first request needs one, and
 * that token request must not wait behind the request that is waiting for it
 * (plugin-throttling exempts these auth routes for the same reason).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Octokit } from '@octokit/rest';
import type { Logger } from '../logger.ts';
import { asRequestError, GitHubTransientError, type RequestErrorLike } from './transient-error.ts';

/** GitHub asks for at least a second between mutative requests. */
export const DEFAULT_WRITE_SPACING_MS = 1000;
/** Retries of one request (rate limits and server errors together). */
export const DEFAULT_MAX_RETRIES = 3;
/** Waits longer than this fail as transient: the queue retries the job later instead of holding a worker. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** A secondary limit without `retry-after`: "wait for at least one minute". */
export const SECONDARY_LIMIT_DEFAULT_WAIT_MS = 60_000;
/** First wait after a server error; doubles on each retry (1 s, 2 s, 4 s). */
export const DEFAULT_SERVER_ERROR_BACKOFF_MS = 1000;
/** Added to `x-ratelimit-reset` so the retry lands after the reset, not on it. */
const RESET_MARGIN_MS = 1000;

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** The part of an Octokit instance the wrapper needs; @octokit/rest and Probot clients both fit. */
export type HookedOctokit = Pick<Octokit, 'hook'>;

export interface RateLimitOptions {
  /** Requests sharing a key are serialized and spaced together: the installation id. */
  key: string | number;
  /** Least time between the end of one mutative request and the start of the next, per key. Default 1000 ms. */
  writeSpacingMs?: number;
  /** Retries of one request after rate limits and server errors. Default 3. */
  maxRetries?: number;
  /** Longest wait for a rate limit before failing with a transient GitHubTransientError. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** First backoff after a 5xx (or a network failure), doubled per retry. Default 1000 ms. */
  serverErrorBackoffMs?: number;
  logger: Logger;
  /** Where the per-key queues live. Default: one registry for the whole process. */
  registry?: RateLimitRegistry;
}

/** Per-key state: the tail of the request queue, when the last write ended, until when GitHub said to stop. */
interface Lane {
  tail: Promise<void>;
  lastWriteEndedAt: number;
  blockedUntil: number;
}

/** Per-key queues; share one between all clients of an installation in a process. */
export interface RateLimitRegistry {
  lane(key: string): Lane;
}

export function createRateLimitRegistry(): RateLimitRegistry {
  const lanes = new Map<string, Lane>();
  return {
    lane(key) {
      let lane = lanes.get(key);
      if (lane === undefined) {
        lane = { tail: Promise.resolve(), lastWriteEndedAt: -Infinity, blockedUntil: 0 };
        lanes.set(key, lane);
      }
      return lane;
    },
  };
}

const processRegistry = createRateLimitRegistry();
/** The lane whose request the current async context is running inside, for nested requests. */
const insideLane = new AsyncLocalStorage<Lane>();
const wrapped = new WeakSet<object>();

/**
 * Adds per-key serialization, write spacing and rate-limit/5xx retries to
 * `octokit` (in place; returned for convenience). Wrapping the same instance
 * twice is a no-op.
 */
export function withRateLimits<T extends HookedOctokit>(octokit: T, options: RateLimitOptions): T {
  if (wrapped.has(octokit)) return octokit;
  wrapped.add(octokit);
  const settings = {
    writeSpacingMs: options.writeSpacingMs ?? DEFAULT_WRITE_SPACING_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
    serverErrorBackoffMs: options.serverErrorBackoffMs ?? DEFAULT_SERVER_ERROR_BACKOFF_MS,
  };
  const key = String(options.key);
  const lane = (options.registry ?? processRegistry).lane(key);
  const log = options.logger;

  octokit.hook.wrap('request', (request, requestOptions) => {
    const method = requestOptions.method.toUpperCase();
    const label = `${method} ${requestOptions.url}`;
    const isWrite = WRITE_METHODS.has(method);
    if (insideLane.getStore() === lane) return request(requestOptions);

    return exclusive(lane, async () => {
      let secondaryHits = 0;
      for (let attempt = 0; ; attempt++) {
        await waitUntilUnblocked(lane, settings.maxRetryAfterMs, label);
        if (isWrite) await sleepMs(lane.lastWriteEndedAt + settings.writeSpacingMs - now());
        let response;
        try {
          response = await request(requestOptions);
        } catch (error) {
          if (isWrite) lane.lastWriteEndedAt = now();
          const failure = asRequestError(error);
          // @octokit/request gives an aborted request status 500 too; the caller meant it to stop.
          if (failure === undefined || (error instanceof Error && error.name === 'AbortError')) throw error;
          const limit = rateLimitWait(failure, secondaryHits);
          if (limit !== undefined) {
            if (limit.kind === 'secondary') secondaryHits++;
            if (limit.waitMs > settings.maxRetryAfterMs || attempt >= settings.maxRetries) {
              if (limit.waitMs > settings.maxRetryAfterMs) lane.blockedUntil = Math.max(lane.blockedUntil, now() + limit.waitMs);
              throw new GitHubTransientError(
                `GitHub ${limit.kind} rate limit on ${label}: ${limit.waitMs > settings.maxRetryAfterMs ? `retry in ${Math.ceil(limit.waitMs / 1000)} s` : `still limited after ${attempt} retries`}`,
                { code: 'github_rate_limited', status: failure.status, retryAfterMs: limit.waitMs, cause: error },
              );
            }
            log.warn({ key, request: label, status: failure.status, waitMs: limit.waitMs, attempt: attempt + 1 }, `GitHub ${limit.kind} rate limit; retrying after the wait`);
            await sleepMs(limit.waitMs);
            continue;
          }
          if (failure.status >= 500) {
            if (attempt >= settings.maxRetries) {
              throw new GitHubTransientError(`GitHub answered ${failure.status} to ${label} ${attempt + 1} times: ${failure.message}`, {
                code: 'github_unavailable', status: failure.status, cause: error,
              });
            }
            const waitMs = settings.serverErrorBackoffMs * 2 ** attempt;
            log.warn({ key, request: label, status: failure.status, waitMs, attempt: attempt + 1 }, 'GitHub server error; retrying');
            await sleepMs(waitMs);
            continue;
          }
          throw error;
        }
        if (isWrite) lane.lastWriteEndedAt = now();
        // A quota spent to zero on a success: later requests wait for the reset instead of earning a 403.
        const exhausted = primaryResetWait(response.headers);
        if (exhausted !== undefined) lane.blockedUntil = Math.max(lane.blockedUntil, now() + exhausted);
        return response;
      }
    });
  });
  return octokit;
}

/** Runs `task` after every earlier task of the lane has settled. */
function exclusive<T>(lane: Lane, task: () => Promise<T>): Promise<T> {
  const previous = lane.tail;
  let release: () => void = () => undefined;
  lane.tail = new Promise<void>((resolve) => { release = resolve; });
  return previous.then(() => insideLane.run(lane, task)).finally(release);
}

async function waitUntilUnblocked(lane: Lane, maxWaitMs: number, label: string): Promise<void> {
  const waitMs = lane.blockedUntil - now();
  if (waitMs <= 0) return;
  if (waitMs > maxWaitMs) {
    throw new GitHubTransientError(`GitHub rate limit: ${label} not sent, the installation is limited for ${Math.ceil(waitMs / 1000)} s more`, {
      code: 'github_rate_limited', status: 403, retryAfterMs: waitMs,
    });
  }
  await sleepMs(waitMs);
}

interface LimitWait { kind: 'primary' | 'secondary'; waitMs: number }

/**
 * How long a rate-limited answer says to wait, or undefined when the answer is
 * no rate limit (a 403 for missing permissions, say). Secondary limits without
 * `retry-after` wait a minute, doubled for each earlier hit.
 */
export function rateLimitWait(failure: RequestErrorLike, earlierSecondaryHits = 0): LimitWait | undefined {
  if (failure.status !== 403 && failure.status !== 429) return undefined;
  const retryAfterMs = parseRetryAfter(failure.headers['retry-after']);
  if (retryAfterMs !== undefined) return { kind: isSecondary(failure) || failure.headers['x-ratelimit-remaining'] !== '0' ? 'secondary' : 'primary', waitMs: retryAfterMs };
  const resetWait = primaryResetWait(failure.headers);
  if (resetWait !== undefined) return { kind: 'primary', waitMs: resetWait };
  if (isSecondary(failure) || failure.status === 429) return { kind: 'secondary', waitMs: SECONDARY_LIMIT_DEFAULT_WAIT_MS * 2 ** earlierSecondaryHits };
  return undefined;
}

function isSecondary(failure: RequestErrorLike): boolean {
  const data = failure.data;
  const bodyMessage = typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string' ? data.message : '';
  return /secondary rate limit/i.test(`${failure.message} ${bodyMessage}`);
}

/** `retry-after`: seconds (GitHub's form) or an HTTP date. */
function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Time until `x-ratelimit-reset` when `x-ratelimit-remaining` is 0. */
function primaryResetWait(headers: Record<string, string | number | undefined>): number | undefined {
  if (String(headers['x-ratelimit-remaining']) !== '0') return undefined;
  const resetSeconds = Number(headers['x-ratelimit-reset']);
  if (!Number.isFinite(resetSeconds)) return undefined;
  return Math.max(0, resetSeconds * 1000 - Date.now() + RESET_MARGIN_MS);
}

function now(): number {
  return performance.now();
}

async function sleepMs(ms: number): Promise<void> {
  if (ms > 0) await sleep(Math.ceil(ms));
}
