/** The job contract: the text asked about, recorded small and hashed; older versions read, upgraded. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ASKED_BODY_MAX_BYTES,
  ASKED_COMMENT_MAX_BYTES,
  askedTextSha256,
  FixJobSchema,
  jobId,
  readJobData,
  recordAskedText,
  ReviewJobSchema,
  type FixJobData,
} from '../../src/queue/job-data.ts';

const fix = (text?: FixJobData['text']): FixJobData => ({
  v: 3,
  deliveryId: 'd-1',
  installationId: 7,
  repository: { id: 11, owner: 'acme', name: 'widgets', cloneUrl: 'https://github.com/acme/widgets.git', defaultBranch: 'main' },
  requestedBy: 'alice',
  issue: { number: 7, commentId: 5 },
  trigger: 'comment',
  ...(text === undefined ? {} : { text }),
});

describe('recordAskedText', () => {
  it('records the title, body and comment as they were, with the sha256 of the title and body', () => {
    const text = recordAskedText({ title: 'add() is wrong', body: 'add(1, 2) is 12.' }, '/autofix\nLook at index.js.');
    expect(text).toEqual({
      title: 'add() is wrong',
      body: 'add(1, 2) is 12.',
      sha256: createHash('sha256').update(JSON.stringify(['add() is wrong', 'add(1, 2) is 12.'])).digest('hex'),
      cut: false,
      comment: { body: '/autofix\nLook at index.js.', cut: false },
    });
    // No body is an empty one; title and body cannot run into each other.
    expect(recordAskedText({ title: 'T', body: null }).sha256).toBe(askedTextSha256('T', ''));
    expect(askedTextSha256('ab', 'c')).not.toBe(askedTextSha256('a', 'bc'));
  });

  it('cuts a long body and comment to their bounds, never inside a character, and hashes the uncut text', () => {
    const body = `${'é'.repeat(ASKED_BODY_MAX_BYTES)}tail`;
    const text = recordAskedText({ title: 'T', body }, 'x'.repeat(ASKED_COMMENT_MAX_BYTES + 1));
    expect(text.cut).toBe(true);
    expect(Buffer.byteLength(text.body)).toBe(ASKED_BODY_MAX_BYTES);
    expect(text.body).toBe('é'.repeat(ASKED_BODY_MAX_BYTES / 2));
    expect(text.sha256).toBe(askedTextSha256('T', body));
    expect(text.comment).toEqual({ body: 'x'.repeat(ASKED_COMMENT_MAX_BYTES), cut: true });
    // A four-byte character that does not fit is left out whole.
    expect(recordAskedText({ title: 'T', body: `${'a'.repeat(ASKED_BODY_MAX_BYTES - 2)}😀` }).body).toBe('a'.repeat(ASKED_BODY_MAX_BYTES - 2));
  });

  it('keeps a job with the largest text GitHub allows under 100 KB of JSON, and the schema refuses more', () => {
    const text = recordAskedText({ title: 't'.repeat(300), body: '語'.repeat(65_536) }, 'c'.repeat(65_536));
    const data = FixJobSchema.parse(fix(text));
    expect(Buffer.byteLength(JSON.stringify(data))).toBeLessThan(100_000);
    expect(FixJobSchema.safeParse(fix({ ...text, body: 'b'.repeat(ASKED_BODY_MAX_BYTES + 1) })).success).toBe(false);
    expect(FixJobSchema.safeParse(fix({ ...text, sha256: 'not a hash' })).success).toBe(false);
  });
});

describe('readJobData', () => {
  it('reads version 3 with its text', () => {
    const data = fix(recordAskedText({ title: 'T', body: 'B' }, '/autofix'));
    expect(readJobData('fix', FixJobSchema, data)).toEqual({ ok: true, data });
  });

  it('upgrades version 2 (no recorded text: the worker fetches it) and version 1', () => {
    const { v: _v, ...rest } = fix();
    expect(readJobData('fix', FixJobSchema, { ...rest, v: 2 })).toEqual({ ok: true, data: { ...rest, v: 3 } });
    expect(readJobData('fix', FixJobSchema, { ...rest, v: 1 })).toEqual({ ok: true, data: { ...rest, v: 3 } });
    const review = {
      deliveryId: 'd-2',
      installationId: 7,
      repository: rest.repository,
      requestedBy: 'alice',
      pullRequest: { number: 5, headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40) },
      trigger: 'pull_request',
    };
    expect(readJobData('review', ReviewJobSchema, { ...review, v: 2 })).toEqual({ ok: true, data: { ...review, v: 3 } });
  });

  it('refuses a version it does not know, saying which it reads', () => {
    const result = readJobData('fix', FixJobSchema, { ...fix(), v: 4 });
    expect(result).toEqual({ ok: false, message: expect.stringContaining('(versions 1 to 3)') as unknown });
  });
});

describe('evaluation jobs', () => {
  it('carry the number of bugs, 1 to 50, and have one id per repository', () => {
    const evaluate = { ...fix(), trigger: 'evaluate' as const };
    expect(FixJobSchema.parse({ ...evaluate, bugs: 12 })).toMatchObject({ trigger: 'evaluate', bugs: 12 });
    for (const bugs of [0, 51, 2.5]) expect(FixJobSchema.safeParse({ ...evaluate, bugs }).success, String(bugs)).toBe(false);
    expect(jobId.evaluate(11)).toBe('evaluate-11');
    expect(jobId.evaluate(11)).not.toBe(jobId.setup(11));
  });
});
