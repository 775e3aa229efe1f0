import { describe, expect, it } from 'vitest';
import { formatBytes, parseByteSize } from '../../src/util/units.ts';

describe('sizes', () => {
  it('parses Docker-style sizes', () => {
    expect(parseByteSize('512m')).toBe(512 * 1024 * 1024);
    expect(parseByteSize('4g')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('1024')).toBe(1024);
    expect(parseByteSize('lots')).toBeUndefined();
    expect(parseByteSize('5q')).toBeUndefined();
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
