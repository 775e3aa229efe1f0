import { describe, expect, it } from 'vitest';
import { canonicalJson, hashJson } from '../../src/util/canonical-json.ts';
import { OutputCap, tailLines } from '../../src/util/output-cap.ts';
import { formatBytes, parseByteSize } from '../../src/util/units.ts';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('hashes equal values equally whatever the key order', () => {
    expect(hashJson({ x: 1, y: [1, 2] })).toBe(hashJson({ y: [1, 2], x: 1 }));
    expect(hashJson({ x: 1 })).not.toBe(hashJson({ x: 2 }));
    expect(hashJson([1, 2])).not.toBe(hashJson([2, 1]));
  });
});

describe('OutputCap', () => {
  it('keeps everything under the limit', () => {
    const cap = new OutputCap(100);
    cap.push(Buffer.from('hello '));
    cap.push(Buffer.from('world'));
    expect(cap.toString()).toBe('hello world');
    expect(cap.truncated).toBe(false);
  });

  it('keeps the head and the tail and marks the cut', () => {
    const cap = new OutputCap(20);
    for (let i = 0; i < 100; i += 1) cap.push(Buffer.from(`${i % 10}`));
    cap.push(Buffer.from('END'));
    const text = cap.toString();
    expect(text.startsWith('0123456789')).toBe(true);
    expect(text.endsWith('456789END')).toBe(true);
    expect(text).toContain('[... 83 bytes cut by swe-bot ...]');
    expect(cap.totalBytes).toBe(103);
    expect(cap.truncated).toBe(true);
  });

  it('handles one chunk larger than the limit', () => {
    const cap = new OutputCap(10);
    cap.push(Buffer.from('abcdefghijklmnopqrstuvwxyz'));
    expect(cap.toString()).toBe('abcde\n[... 16 bytes cut by swe-bot ...]\nvwxyz');
  });

  it('tailLines returns the last lines', () => {
    expect(tailLines('a\nb\nc\nd\n', 2)).toBe('c\nd');
    expect(tailLines('one', 5)).toBe('one');
  });
});

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
