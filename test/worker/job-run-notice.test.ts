/** A notice (the text asked about was edited) stays in the status comment and the check run to the end, failures included. */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import type { ProgressReporter, ProgressResult } from '../../src/github/progress-reporter.ts';
import type { JobContext } from '../../src/queue/job-context.ts';
import { reportFailure, withNotice } from '../../src/worker/job-run.ts';

const NOTICE = 'The issue was edited after @alice asked for this fix; swe-bot worked from its title and body as they were when asked (sha256 `ab`).';

function recording(): { reporter: ProgressReporter; finished: ProgressResult[] } {
  const finished: ProgressResult[] = [];
  const reporter: ProgressReporter = {
    start: () => Promise.resolve(),
    stage: () => {},
    finish: (result) => Promise.resolve(void finished.push(result)),
    idle: () => Promise.resolve(),
  };
  return { reporter: withNotice(reporter, NOTICE), finished };
}

describe('withNotice', () => {
  it('puts the notice first in the final comment and the check run summary', async () => {
    const { reporter, finished } = recording();
    await reporter.finish({ conclusion: 'success', title: 'Verified fix', summary: '**verified**' });
    expect(finished).toEqual([{ conclusion: 'success', title: 'Verified fix', summary: `${NOTICE}\n\n**verified**`, comment: `${NOTICE}\n\n**verified**` }]);
  });

  it('keeps it when the job fails', async () => {
    const { reporter, finished } = recording();
    const ctx: JobContext = { jobId: 'fix-1-7', attempt: 1, signal: new AbortController().signal, logger: silentLogger() };
    await reportFailure(reporter, new Error('the model endpoint is down'), ctx);
    expect(finished[0]?.comment).toMatch(new RegExp(`^${NOTICE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n\nFailed: the model endpoint is down`));
  });

  it('does not repeat it in a report that quotes it already', async () => {
    const { reporter, finished } = recording();
    await reporter.finish({ conclusion: 'neutral', title: 'No verified fix', summary: 'plausible', comment: `Could not verify.\n\n${NOTICE}` });
    expect(finished[0]?.comment).toBe(`Could not verify.\n\n${NOTICE}`);
    expect(finished[0]?.summary).toBe(`${NOTICE}\n\nplausible`);
  });
});
