import { describe, expect, it } from 'vitest';
import { partialMarkerStart } from '../../src/sandbox/shell-session.ts';

describe('shell session markers', () => {
  it('holds back only a tail that may begin a marker', () => {
    const marker = Buffer.from('\0SWEBOT-END:abc:');
    expect(partialMarkerStart(Buffer.from('plain output\n'), marker)).toBe(13);
    expect(partialMarkerStart(Buffer.from('output\0SWE'), marker)).toBe(6);
    expect(partialMarkerStart(Buffer.from('output\0XYZ'), marker)).toBe(10);
    expect(partialMarkerStart(Buffer.from('a\0'), marker)).toBe(1);
  });
});
