/**
 * Whether a job's error is worth a retry (src/errors.ts). Errors are meant to
 * be classified where they enter (Docker, git, the model, GitHub) as a
 * `SweBotError`; the first one found along the `cause` chain decides.
 *
 * An error nobody classified is permanent, as `isTransient` in errors.ts
 * says: a TypeError does not go away on a retry, and a retry of a fix job
 * costs minutes of containers and model time. The one exception is a bare
 * network error (ECONNRESET and friends, from any library): those are
 * transient by nature, so they are retried even when no layer wrapped them.
 */
import { causeChain, SweBotError, type ErrorKind } from '../errors.ts';

/** Node's and undici's codes for a connection that failed or dropped, not for a wrong address (ENOTFOUND is permanent). */
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

export function jobErrorKind(error: unknown): ErrorKind {
  for (const link of causeChain(error)) {
    if (link instanceof SweBotError) return link.kind;
    if (typeof link === 'object' && link !== null && 'code' in link && typeof link.code === 'string' && TRANSIENT_NETWORK_CODES.has(link.code)) {
      return 'transient';
    }
  }
  return 'permanent';
}
