import { describe, expect, it } from 'vitest';
import { jobLockLostError, workerShutdownError } from '../../src/error-kind.ts';
import { silentLogger } from '../../src/logger.ts';
import type { ProgressResult } from '../../src/github/progress-reporter.ts';
import type { JobContext } from '../../src/queue/job-context.ts';
import { reportFailure } from '../../src/worker/job-run.ts';

function abortedContext(reason: unknown): JobContext {
  const controller = new AbortController();
  controller.abort(reason);
  return { jobId: 'fix-1-12', attempt: 1, signal: controller.signal, logger: silentLogger() };
}

describe('reportFailure', () => {
  it('says nothing for a run that lost its lock: the run that took the job over owns the check run and the comment', async () => {
    const finished: ProgressResult[] = [];
    await reportFailure({ finish: (result) => Promise.resolve(void finished.push(result)) }, jobLockLostError(), abortedContext(jobLockLostError()));
    expect(finished).toEqual([]);
  });

  it('still reports a run paused by a shutdown', async () => {
    const finished: ProgressResult[] = [];
    await reportFailure({ finish: (result) => Promise.resolve(void finished.push(result)) }, workerShutdownError(), abortedContext(workerShutdownError()));
    expect(finished).toMatchObject([{ conclusion: 'neutral', title: 'Paused; it will run again' }]);
  });
});
