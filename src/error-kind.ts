/**
 * The one reading of errors.ts's taxonomy: whether an error is worth a retry,
 * and what the abort of a running job means. The queue (job-workers.ts), the
 * failure report on GitHub (worker/job-run.ts) and the job metrics
 * (server/service.ts) all ask here, so what the user is told, what is counted
 * and what the queue does next cannot drift apart.
 */
import { causeChain, findSweBotError, SweBotError, type ErrorKind } from './errors.ts';

/**
 * Node's and undici's codes for a connection that failed or dropped, not for a
 * wrong address (ENOTFOUND is permanent).
 * https://nodejs.org/api/errors.html#common-system-errors,
 * https://undici.nodejs.org/#/docs/api/Errors
 */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** The code of the abort reason of a job stopped for good (`/autofix cancel`, a newer push). */
const JOB_CANCELLED = 'job_cancelled';
/** The code of the abort reason of a job stopped by a worker shutting down; it runs again. */
const WORKER_SHUTDOWN = 'worker_shutdown';
/** The code of the abort reason of a run whose worker lost the job's lock; the job runs again, maybe elsewhere. */
const JOB_LOCK_LOST = 'job_lock_lost';

/**
 * Whether retrying might help. The first `SweBotError` along the `cause`
 * chain decides: errors are classified where they enter (Docker, git, the
 * model, GitHub). An error nobody classified is permanent: a TypeError does
 * not go away on a retry, and a retry of a fix job costs minutes of containers
 * and model time. The exception is a bare network error (ECONNRESET and
 * friends, from any library), transient by nature even when no layer wrapped it.
 */
export function errorKind(error: unknown): ErrorKind {
  for (const link of causeChain(error)) {
    if (link instanceof SweBotError) return link.kind;
    if (typeof link === 'object' && link !== null && 'code' in link && typeof link.code === 'string' && TRANSIENT_NETWORK_CODES.has(link.code)) {
      return 'transient';
    }
  }
  return 'permanent';
}

/** The abort reason of a cancelled job; `message` says why, for the user. Permanent: the job does not run again. */
export function jobCancelledError(message: string): SweBotError {
  return new SweBotError(message, { kind: 'permanent', code: JOB_CANCELLED });
}

/** The abort reason of a job stopped by a worker shutting down. Transient: the job goes back to the queue. */
export function workerShutdownError(): SweBotError {
  return new SweBotError('the worker is shutting down; the job will run again', { kind: 'transient', code: WORKER_SHUTDOWN });
}

/**
 * The abort reason of a run whose worker could not keep the job's lock (cut
 * off from Redis longer than the lock lasts): another worker's stalled-job
 * check runs the job again, so this run stops before it publishes anything.
 * Transient: the job is not over.
 */
export function jobLockLostError(): SweBotError {
  return new SweBotError(
    "this worker lost the job's lock (no renewal in Redis within SWE_BOT_JOB_LOCK_MS): the run stopped before publishing; the job runs again",
    { kind: 'transient', code: JOB_LOCK_LOST },
  );
}

/**
 * What the abort of a job's signal means: `paused` when a worker shutdown
 * stopped it (it runs again), `lost` when its worker lost the job's lock (it
 * runs again, and that run owns the job's progress on GitHub from now on),
 * `cancelled` for any other reason (it does not run again), undefined while
 * the signal is not aborted.
 */
export function abortMeaning(signal: AbortSignal): 'cancelled' | 'paused' | 'lost' | undefined {
  if (!signal.aborted) return undefined;
  const code = findSweBotError(signal.reason)?.code;
  return code === WORKER_SHUTDOWN ? 'paused' : code === JOB_LOCK_LOST ? 'lost' : 'cancelled';
}
