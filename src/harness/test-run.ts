/**
 * Running a repository's test command in an instance, between SWE-bench's
 * start and end markers, with stdout and stderr merged (runners split their
 * reports across both) and a wall-clock limit. A run that times out keeps its
 * partial log, marked with `>>>>> Tests Timed Out`.
 */
import { shellQuote } from '../util/shell-quote.ts';
import { MARKER } from './markers.ts';
import type { HarnessTarget } from './target.ts';

/** Logs bigger than this are cut in the middle; parsers then see head and tail. */
export const TEST_LOG_MAX_BYTES = 64 * 1024 * 1024;

export interface TestRun {
  command: string;
  exitCode: number;
  timedOut: boolean;
  /** The output between the markers. */
  output: string;
  /** The whole log, markers included. */
  log: string;
  /** True when the log outgrew TEST_LOG_MAX_BYTES. */
  truncated: boolean;
  durationMs: number;
}

export async function runTests(
  target: HarnessTarget,
  command: string,
  options: { timeoutMs: number; onOutput?: (chunk: Buffer) => void },
): Promise<TestRun> {
  // The command runs in its own bash so `exit` in it cannot skip the end marker.
  const script = `echo '${MARKER.testStart}'; bash -c ${shellQuote(command)} 2>&1; code=$?; echo '${MARKER.testEnd}'; exit $code`;
  const result = await target.exec(script, {
    timeoutMs: options.timeoutMs,
    maxOutputBytes: TEST_LOG_MAX_BYTES,
    ...(options.onOutput ? { onStdout: options.onOutput } : {}),
  });
  let log = result.stdout;
  if (result.timedOut) log = `${log.replace(/\n?$/, '\n')}${MARKER.timedOut}\n`;
  return {
    command,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    output: between(log),
    log,
    truncated: result.truncated,
    durationMs: result.durationMs,
  };
}

/** The text between the start and end markers (to the end when the end is missing). */
export function between(log: string): string {
  const start = log.indexOf(MARKER.testStart);
  if (start === -1) return '';
  const from = start + MARKER.testStart.length + 1;
  const end = log.indexOf(MARKER.testEnd, from);
  return log.slice(from, end === -1 ? undefined : end);
}
