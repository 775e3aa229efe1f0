/**
 * pino loggers. Every job gets a child logger carrying `deliveryId`, `jobId`
 * and the repository; secrets are redacted wherever they appear by name.
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
  options: { level?: LoggerOptions['level']; name?: string; destination?: { write(line: string): unknown } } = {},
): Logger {
  const settings: LoggerOptions = {
    name: options.name ?? 'swe-bot',
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** A logger that drops everything, for library use and tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
