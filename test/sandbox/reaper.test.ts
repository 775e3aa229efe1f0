import { describe, expect, it } from 'vitest';
import { LABEL, labelsFor } from '../../src/sandbox/labels.ts';
import { isOrphan } from '../../src/sandbox/reaper.ts';

describe('isOrphan', () => {
  const self = { host: 'h1', pid: 100, bootId: 'abc' };

  it('decides what is an orphan', () => {
    const now = Date.now();
    const labels = (owner: typeof self, ttlMs = 60_000) => labelsFor('instance', { owner, ttlMs });
    const alive = () => true;
    const dead = () => false;
    expect(isOrphan(labels(self), self, now, dead)).toBe(false);
    expect(isOrphan(labels({ ...self, pid: 5 }), self, now, dead)).toBe(true);
    expect(isOrphan(labels({ ...self, pid: 5 }), self, now, alive)).toBe(false);
    expect(isOrphan(labels({ ...self, bootId: 'old' }), self, now, alive)).toBe(true);
    expect(isOrphan(labels({ ...self, host: 'h2', pid: 5 }), self, now, dead)).toBe(false);
    expect(isOrphan(labels({ ...self, host: 'h2' }, -60_000), self, now, alive)).toBe(true);
    expect(isOrphan({ [LABEL.managed]: 'true' }, self, now, dead)).toBe(false);
  });
});
