import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../src/util/shell-quote.ts';

describe('shellQuote', () => {
  it('quotes for the shell', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
