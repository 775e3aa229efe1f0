import { describe, expect, it } from 'vitest';
import { OutputCap, tailLines } from '../../src/util/output-cap.ts';

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
