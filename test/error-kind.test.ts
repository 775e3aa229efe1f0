import { describe, expect, it } from 'vitest';
import { abortMeaning, errorKind, jobCancelledError, jobLockLostError, workerShutdownError } from '../src/error-kind.ts';
import { ConfigError, DockerUnavailableError, SweBotError } from '../src/errors.ts';

/** A Node-style system error: an Error with a `code`. */
function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

function abortedWith(reason: unknown): AbortSignal {
  const controller = new AbortController();
  controller.abort(reason);
  return controller.signal;
}

describe('errorKind', () => {
  it('takes the kind of a SweBotError', () => {
    expect(errorKind(new DockerUnavailableError('engine down'))).toBe('transient');
    expect(errorKind(new ConfigError('bad config'))).toBe('permanent');
  });

  it('takes the kind of the first SweBotError along the cause chain', () => {
    const wrapped = new Error('job failed', { cause: new Error('step failed', { cause: new DockerUnavailableError('engine down') }) });
    expect(errorKind(wrapped)).toBe('transient');
    // The error classified nearest the top decides, not a network error below it.
    const classified = new ConfigError('bad registry', { cause: systemError('ECONNRESET') });
    expect(errorKind(new Error('wrapper', { cause: classified }))).toBe('permanent');
  });

  it('counts a bare network error as transient, wrapped or not', () => {
    expect(errorKind(systemError('ECONNRESET'))).toBe('transient');
    expect(errorKind(systemError('UND_ERR_SOCKET'))).toBe('transient');
    expect(errorKind(new Error('fetch failed', { cause: systemError('ETIMEDOUT') }))).toBe('transient');
  });

  it('counts anything unclassified as permanent', () => {
    expect(errorKind(new TypeError('x is undefined'))).toBe('permanent');
    expect(errorKind(systemError('ENOTFOUND'))).toBe('permanent');
    expect(errorKind({ code: 42 })).toBe('permanent');
    expect(errorKind('a string')).toBe('permanent');
    expect(errorKind(undefined)).toBe('permanent');
  });
});

describe('abortMeaning', () => {
  it('says nothing while the signal is not aborted', () => {
    expect(abortMeaning(new AbortController().signal)).toBeUndefined();
  });

  it('reads a worker shutdown as paused, to run again', () => {
    const reason = workerShutdownError();
    expect(abortMeaning(abortedWith(reason))).toBe('paused');
    // The queue retries it, by the same rule as any error.
    expect(errorKind(reason)).toBe('transient');
  });

  it('reads a lost job lock as lost: the job runs again, and that run reports', () => {
    const reason = jobLockLostError();
    expect(abortMeaning(abortedWith(reason))).toBe('lost');
    expect(reason.message).toMatch(/SWE_BOT_JOB_LOCK_MS/);
    expect(errorKind(reason)).toBe('transient');
  });

  it('reads a cancel as cancelled for good', () => {
    const reason = jobCancelledError('cancelled on request');
    expect(abortMeaning(abortedWith(reason))).toBe('cancelled');
    expect(reason.message).toBe('cancelled on request');
    expect(errorKind(reason)).toBe('permanent');
  });

  it('reads any other abort as cancelled, even a transient one', () => {
    expect(abortMeaning(abortedWith(undefined))).toBe('cancelled');
    expect(abortMeaning(abortedWith(new SweBotError('gone', { kind: 'transient', code: 'other' })))).toBe('cancelled');
  });
});
