import { afterEach, describe, expect, it } from 'vitest';
import { formatFor } from '../../src/agent/formats/index.ts';
import { createModelClient } from '../../src/agent/model-client.ts';
import { parseSource } from '../../src/dataset/mutate-js.ts';
import { applyRewrite, pickTargets, rewriteCandidates, rewriteTargets } from '../../src/dataset/rewrite-js.ts';
import { silentLogger } from '../../src/logger.ts';
import { startScriptedModel, type ScriptedModel } from '../helpers/scripted-model.ts';

const FILE = `'use strict';
/** Keeps x within [lo, hi]. */
function clamp(x, lo, hi) {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/** Sums the numbers. */
const sum = (items) => {
  let total = 0;
  for (const item of items) total += item;
  return total;
};

function short(a) {
  return a;
}

module.exports = { clamp, sum, short, each: (items) => { items.forEach((item) => {
  console.log(item);
  console.log(item);
  console.log(item);
}); } };
`;

const REWRITTEN = 'Here it is:\n```js\nfunction clamp(x, lo, hi) {\n  return Math.max(lo, x);\n}\n```\n';

const servers: ScriptedModel[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe('rewriteTargets', () => {
  it('offers named functions with a body of a few lines, not short ones, anonymous callbacks or test files', () => {
    const targets = rewriteTargets('lib/math.js', FILE);
    // `each` is named by its property; the forEach callback inside it is not offered.
    expect(targets.map((target) => [target.functionName, target.line])).toEqual([['clamp', 3], ['sum', 10], ['each', 20]]);
    expect(FILE.slice(targets[0]?.bodyStart, targets[0]?.bodyEnd)).toBe('{\n  if (x < lo) return lo;\n  if (x > hi) return hi;\n  return x;\n}');
    expect(rewriteTargets('test/math.test.js', FILE)).toEqual([]);
    expect(rewriteTargets('lib/broken.js', 'function (')).toEqual([]);
  });

  it('picks the same functions for the same seed', () => {
    const targets = rewriteTargets('lib/math.js', FILE);
    expect(pickTargets(targets, 1, 'abc')).toEqual(pickTargets(targets, 1, 'abc'));
    expect(pickTargets(targets, 5, 'abc')).toHaveLength(3);
    expect(new Set(pickTargets(targets, 5, 'abc'))).toEqual(new Set(targets));
  });
});

describe('applyRewrite', () => {
  const [clamp] = rewriteTargets('lib/math.js', FILE);

  it("puts the reply's body in place of the original and leaves the rest of the file", () => {
    const mutation = applyRewrite(clamp!, REWRITTEN);
    if (typeof mutation === 'string') throw new Error(mutation);
    expect(mutation).toMatchObject({ kind: 'lm_rewrite', file: 'lib/math.js', line: 3, functionName: 'clamp' });
    expect(mutation.after).toBe(FILE.replace('{\n  if (x < lo) return lo;\n  if (x > hi) return hi;\n  return x;\n}', '{\n  return Math.max(lo, x);\n}'));
    expect(parseSource('lib/math.js', mutation.after)).toBeDefined();
  });

  it('drops replies that do not parse, hold no function, or give the original back', () => {
    expect(applyRewrite(clamp!, '```js\nfunction clamp(x {\n```')).toBe('the reply does not parse');
    expect(applyRewrite(clamp!, '```js\nconst x = 1;\n```')).toBe('the reply holds no function with a body');
    expect(applyRewrite(clamp!, '```js\nfunction clamp(x, lo, hi) {\n  // same\n  if (x < lo) return lo;\n  if (x > hi)   return hi;\n  return x;\n}\n```')).toBe('the original body came back');
  });
});

describe('rewriteCandidates', () => {
  it('shows the model the file without the body, and keeps the rewrites that work', async () => {
    const model = await startScriptedModel({ replies: [REWRITTEN, 'I cannot do that.', '```js\nconst sum = (items) => {\n  return 0;\n};\n```'] });
    servers.push(model);
    const client = createModelClient({ baseUrl: model.url, apiKey: 'k', model: 'm', logger: silentLogger(), backoffBaseMs: 1, maxAttempts: 1 });
    const targets = rewriteTargets('lib/math.js', FILE);
    const outcome = await rewriteCandidates({ model: { client, format: formatFor('text'), name: 'm' }, logger: silentLogger() }, targets);
    expect(outcome.asked).toBe(3);
    expect(outcome.unavailable).toBeUndefined();
    expect(outcome.mutations.map((mutation) => mutation.functionName)).toEqual(['clamp', 'each']);
    const prompt = JSON.stringify(model.requests[0]?.body.messages);
    expect(prompt).toContain('the body to implement');
    expect(prompt).toContain('Keeps x within [lo, hi].');
    expect(prompt).not.toContain('if (x > hi) return hi;');
    expect(model.requests[0]?.body.temperature).toBeGreaterThan(0);
  });

  it('stops asking once the endpoint cannot be reached', async () => {
    const model = await startScriptedModel({ replies: [{ status: 503, message: 'down' }] });
    servers.push(model);
    const client = createModelClient({ baseUrl: model.url, apiKey: 'k', model: 'm', logger: silentLogger(), backoffBaseMs: 1, maxAttempts: 1 });
    const outcome = await rewriteCandidates({ model: { client, format: formatFor('text'), name: 'm' }, logger: silentLogger() }, rewriteTargets('lib/math.js', FILE));
    expect(outcome).toMatchObject({ asked: 1, mutations: [] });
    expect(outcome.unavailable).toMatch(/\S/);
    expect(model.requests).toHaveLength(1);
  });
});
