/**
 * What the smith tests share: a small library with node:test tests (three
 * functions whose bugs the tests catch, one they never call), and the text tool format's call
 * syntax for scripted models (src/agent/formats/text.ts).
 */

export const SMITH_LIB = `'use strict';
/** Keeps x within [lo, hi]. */
function clamp(x, lo, hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/** The numbers 0 … n-1. */
function range(n) {
  const out = [];
  for (let i = 0; i < n; i += 1) out.push(i);
  return out;
}

/** Whether every item passes. */
function every(items, test) {
  let ok = true;
  for (const item of items) ok = ok && test(item);
  return ok;
}

/** No test calls it: its candidates are left out (reached-code.ts). */
function twice(x) {
  if (x < 0) return 0;
  return x * 2;
}

module.exports = { clamp, range, every, twice };
`;

export const SMITH_LIB_TEST = `'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { clamp, range, every } = require('../lib.js');

test('clamp keeps values inside', () => assert.strictEqual(clamp(5, 0, 10), 5));
test('clamp raises low values', () => assert.strictEqual(clamp(-3, 0, 10), 0));
test('clamp lowers high values', () => assert.strictEqual(clamp(12, 0, 10), 10));
test('range counts from zero', () => assert.deepStrictEqual(range(3), [0, 1, 2]));
test('range of zero is empty', () => assert.deepStrictEqual(range(0), []));
test('every is true when all pass', () => assert.strictEqual(every([2, 4], (x) => x % 2 === 0), true));
test('every is false when one fails', () => assert.strictEqual(every([2, 3], (x) => x % 2 === 0), false));
`;

/** A tool call in the text format, as a scripted reply. */
export const call = (name: string, params: Record<string, string>): string =>
  `<function=${name}>\n${Object.entries(params).map(([k, v]) => `<parameter=${k}>\n${v}\n</parameter>`).join('\n')}\n`;
/** A message's content as text. */
export const textOf = (content: unknown): string => (typeof content === 'string' ? content : JSON.stringify(content));
