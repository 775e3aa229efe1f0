/**
 * HTTP basic authentication (RFC 7617) for the queue dashboard. Credentials
 * are compared in constant time: both sides are hashed first, so
 * `timingSafeEqual` sees equal lengths and the time taken says nothing about
 * how much of a guess was right, nor how long the password is
 * (https://nodejs.org/api/crypto.html#cryptotimingsafeequala-b).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface BasicCredentials {
  user: string;
  password: string;
}

/** The `WWW-Authenticate` challenge sent with a 401. */
export const BASIC_CHALLENGE = 'Basic realm="swe-bot", charset="UTF-8"';

/** True when the `Authorization` header carries exactly `expected`. */
export function checkBasicAuth(header: string | undefined, expected: BasicCredentials): boolean {
  const given = parseBasicAuth(header);
  // Both comparisons always run: no early exit on a wrong user name.
  const user = safeEqual(given?.user ?? '', expected.user);
  const password = safeEqual(given?.password ?? '', expected.password);
  return given !== undefined && user && password;
}

export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
