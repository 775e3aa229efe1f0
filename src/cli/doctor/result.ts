/**
 * What a check of `swe-bot doctor` reports, and the helpers the checks
 * share. Checks never throw: each returns one {@link CheckResult}.
 */
import { describeError } from '../../errors.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** A failed required check makes doctor exit 1. */
  required: boolean;
  /** One line: what was found. Never contains a secret. */
  detail: string;
  /** How to fix it; present when the status is not `ok`. */
  hint?: string;
}

export const CHECK_NAMES = {
  config: 'config',
  node: 'node',
  docker: 'docker',
  baseImages: 'base images',
  registry: 'npm registry',
  redis: 'redis',
  model: 'model',
  github: 'github app',
} as const;

/** A check's result; the hint is kept only for a check that is not `ok`. */
export function result(
  name: string,
  status: CheckStatus,
  required: boolean,
  detail: string,
  hint?: string,
): CheckResult {
  const check: CheckResult = { name, status, required, detail: oneLine(detail) };
  if (hint !== undefined && status !== 'ok') check.hint = oneLine(hint);
  return check;
}

function oneLine(text: string): string {
  return text
    .trim()
    .replace(/:\s*\n\s*/g, ': ')
    .replace(/\s*\n\s*/g, '; ');
}

/** Rejects with `message` when `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A URL fit for printing: the password (and any query) replaced. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    if (url.search) url.search = '?…';
    return url.toString();
  } catch {
    return '(not a valid URL)';
  }
}

/**
 * The error and, for network failures, the system error code behind it,
 * with the password of `url` (when it has one) blanked out.
 */
export function networkError(error: unknown, url?: string): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer (timed out)';
  const text = code ? `${describeError(error)} (${code})` : describeError(error);
  return url === undefined ? text : withoutPassword(text, url);
}

function withoutPassword(text: string, url: string): string {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    return text;
  }
  if (password === '') return text;
  let decoded = password;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // A malformed escape stays as it is.
  }
  return [password, decoded].reduce((scrubbed, secret) => scrubbed.replaceAll(secret, '***'), text);
}
