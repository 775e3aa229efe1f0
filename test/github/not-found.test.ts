import { describe, expect, it } from 'vitest';
import { notFoundAs } from '../../src/github/not-found.ts';

describe('notFoundAs', () => {
  it('turns a 404 into the given value', async () => {
    await expect(Promise.reject(Object.assign(new Error('Not Found'), { status: 404 })).catch(notFoundAs(null))).resolves.toBeNull();
  });

  it('rethrows any other error as it is', async () => {
    const forbidden = Object.assign(new Error('Forbidden'), { status: 403 });
    await expect(Promise.reject(forbidden).catch(notFoundAs(null))).rejects.toBe(forbidden);
    await expect(Promise.reject(new Error('no status')).catch(notFoundAs(null))).rejects.toThrow('no status');
  });
});
