/**
 * pino loggers. Every job gets a child logger carrying `deliveryId`, `jobId`
 * and the repository; secrets are redacted wherever they appear by name
 * ({@link REDACT_PATHS}) and, given a `redact` function (the process's
 * src/util/secret-redactor.ts), by value in every line: pino's `streamWrite`
 * hook sees each line as it is written, whatever the destination
 * (https://getpino.io/#/docs/api?id=hooks, `streamWrite`), child loggers' too.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Field paths that may hold credentials; their values are never logged. */
export const REDACT_PATHS = [
  'token',
  '*.token',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'apiKey',
  '*.apiKey',
  'webhookSecret',
  '*.webhookSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
];

/**
 * A logger writing JSON lines to stdout, or to `destination` (a command's
 * stderr, when its stdout is its result).
 */
export function createLogger(
  options: { level?: LoggerOptions['level']; name?: string; destination?: { write(line: string): unknown }; redact?: LineRedactor } = {},
): Logger {
  const settings: LoggerOptions = {
    name: options.name ?? 'swe-bot',
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...lineRedaction(options.redact),
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** Replaces the secrets known by value in one serialized line (src/util/secret-redactor.ts `redact`). */
export type LineRedactor = (line: string) => string;

/** The pino options that pass every line through `redact`. */
export function lineRedaction(redact: LineRedactor | undefined): Pick<LoggerOptions, 'hooks'> {
  return redact === undefined ? {} : { hooks: { streamWrite: redact } };
}

/** A logger that drops everything, for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
