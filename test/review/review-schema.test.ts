import { describe, expect, it } from 'vitest';
import { parseSubmittedReview } from '../../src/review/review-schema.ts';

describe('submitted review', () => {
  it('accepts sloppy but unambiguous fields and rejects the rest with places', () => {
    const ok = parseSubmittedReview({ summary: ' s ', comments: [{ path: '/testbed/a.js', line: '3', side: 'right', severity: 'MAJOR', body: 'b' }] });
    expect(ok).toEqual({ review: { summary: 's', comments: [{ path: 'a.js', line: 3, side: 'RIGHT', severity: 'major', body: 'b' }], files_not_reviewed: [] } });
    const bad = parseSubmittedReview({ summary: 's', comments: [{ path: 'a.js', line: 0, body: 'b', severity: 'huge' }] });
    expect('error' in bad && bad.error).toMatch(/comments\.0\.line: .*comments\.0\.severity/);
  });
});
