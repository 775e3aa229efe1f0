/**
 * The service's logger: pino JSON lines on stdout with the same secret
 * redaction as every other swe-bot logger (src/logger.ts), written
 * asynchronously. pino's default destination writes each line with a
 * blocking `write(2)`; when stdout is a pipe whose reader falls behind (a
 * container's log driver, journald), the pipe fills and every log call
 * stalls the event loop, webhook answers included (sonic-boom even sleeps
 * on EAGAIN). An asynchronous sonic-boom writes off the event loop (libuv's
 * thread pool) instead; pino flushes it synchronously when the process
 * exits (https://getpino.io/#/docs/asynchronous).
 *
 * Lines are written in batches of {@link LOG_BATCH_BYTES}, and at least
 * every {@link LOG_FLUSH_MS} (sonic-boom's `minLength` and `periodicFlush`),
 * so a line on a quiet server waits at most that long. Writing each line
 * at once cost a thread-pool round trip per line: about 10 µs of a
 * webhook's CPU, as much as the line itself (bench/ingest.bench.ts).
 *
 * Redaction was the other costly part of a line: see {@link skipRedactionOfScalars}.
 */
import { pino } from 'pino';
import { lineRedaction, REDACT_PATHS, type LineRedactor, type Logger } from '../logger.ts';

/** Bytes of log lines written at once (sonic-boom `minLength`). */
export const LOG_BATCH_BYTES = 4096;
/** Longest a line waits for its batch, ms (sonic-boom `periodicFlush`). */
export const LOG_FLUSH_MS = 100;

/** `redact`: the process's secret redactor (src/util/secret-redactor.ts), applied to every line by value. */
export function createServiceLogger(options: { level: string; name?: string; fd?: number; redact?: LineRedactor }): Logger {
  const logger = pino(
    { name: options.name ?? 'swe-bot', level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, ...lineRedaction(options.redact) },
    pino.destination({ dest: options.fd ?? 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
  skipRedactionOfScalars(logger, REDACT_PATHS);
  return logger;
}

type Stringifier = (value: unknown, ...rest: unknown[]) => unknown;

const SCALAR_PROBES: readonly unknown[] = ['probe', 42, true];

/**
 * pino (10, with @pinojs/redact) runs a redactor over every field of every
 * line and of every child logger's bindings whenever a redact path starts
 * with `*`, re-parsing the paths on each call, also for a string, number or
 * boolean, which has no fields to redact: the redactor then answers what
 * pino's plain serialisation does. On the webhook path that was about two
 * thirds of a line's cost, and Probot makes a child logger per webhook.
 *
 * This gives scalars pino's plain serialisation directly and leaves every
 * object to the redactors, so every line is byte for byte what it was
 * (test/server/service-logger.test.ts). The fields named by a path of one
 * segment (`token`, `password`, ...) keep their censoring stringifier, which
 * censors scalars too. It changes the logger through `pino.symbols`
 * (https://getpino.io/#/docs/api?id=pino-symbols), whose keys are exported
 * but whose values are pino's internal state: which of them hold the
 * stringifiers, and what those take, may change in any release, hence
 * pino's minor version is pinned in package.json (`~`). Child loggers share
 * their root's stringifiers, so they get it as well. Does nothing, leaving
 * pino's own redaction, when the logger has no redaction or pino keeps this
 * state elsewhere (test/server/service-logger.test.ts).
 */
export function skipRedactionOfScalars(logger: Logger, paths: readonly string[]): void {
  const { stringifiersSym, stringifySym, stringifySafeSym, redactFmtSym } = pino.symbols;
  const state = logger as unknown as Record<symbol, unknown>;
  const stringifiers = state[stringifiersSym] as Record<string | symbol, Stringifier | undefined> | undefined;
  const stringify = state[stringifySym] as Stringifier | undefined;
  const stringifySafe = state[stringifySafeSym];
  if (!stringifiers || typeof stringify !== 'function') return;
  for (const key of Reflect.ownKeys(stringifiers)) {
    const redactor = stringifiers[key];
    if (key === redactFmtSym || typeof redactor !== 'function') continue;
    // A field censored whole (a path of one segment) censors scalars: keep it.
    // The probe checks the same of any other form of path.
    if ((typeof key === 'string' && paths.includes(key)) || SCALAR_PROBES.some((probe) => redactor(probe) !== stringify(probe, stringifySafe))) continue;
    stringifiers[key] = (value, ...rest) => (value !== null && typeof value === 'object' ? redactor(value, ...rest) : stringify(value, stringifySafe));
  }
}
