import { describe, expect, it } from 'vitest';
import { splitPemBundle } from '../../src/sandbox/base-image.ts';

describe('CA bundles', () => {
  it('splits a PEM bundle into certificates', () => {
    const cert = (n: number) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----`;
    expect(splitPemBundle(`# comment\n${cert(1)}\n\n${cert(2)}\n`)).toEqual([cert(1), cert(2)]);
    expect(splitPemBundle('nothing')).toEqual([]);
  });
});
