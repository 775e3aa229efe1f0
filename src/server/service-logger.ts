/**
 * The service's logger: pino JSON lines on stdout with the same secret
 * redaction as every other swe-bot logger (src/logger.ts), written
 * asynchronously. pino's default destination writes each line with a
 * blocking `write(2)`; when stdout is a pipe whose reader falls behind (a
 * container's log driver, journald), the pipe fills and every log call
 * stalls the event loop, webhook answers included (sonic-boom even sleeps
 * on EAGAIN). An asynchronous sonic-boom writes what piled up while the
 * previous write was in flight in one call, and still writes a lone line at
 * once (no `minLength` buffering that could hold a line back on a quiet
 * server); pino flushes it synchronously when the process exits
 * (https://getpino.io/#/docs/asynchronous). Measured on the webhook path,
 * the CPU per line is the same either way (about 10 µs).
 */
import { pino } from 'pino';
import { REDACT_PATHS, type Logger } from '../logger.ts';

export function createServiceLogger(options: { level: string; name?: string; fd?: number }): Logger {
  return pino(
    { name: options.name ?? 'swe-bot', level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ dest: options.fd ?? 1, sync: false }),
  );
}
