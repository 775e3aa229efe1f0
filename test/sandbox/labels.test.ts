import { describe, expect, it } from 'vitest';
import { formatOwner, parseOwner } from '../../src/sandbox/labels.ts';

describe('owners', () => {
  const self = { host: 'h1', pid: 100, bootId: 'abc' };
  it('round-trips owners', () => {
    expect(parseOwner(formatOwner(self))).toEqual(self);
    expect(parseOwner('garbage')).toBeUndefined();
  });
});
